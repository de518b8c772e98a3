import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_LIMITS } from '../../src/analytics/funnel-query.ts';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { openDemoDb } from '../support/demo-db.ts';
import { type ApiClient, apiClient, type Harness, startHarness } from '../support/harness.ts';
import { ENGINE } from '../support/test-db.ts';

/**
 * No report request can hold the server: what a request may ask is bounded (with a 400
 * that says the limit), report statements have a time limit on a PostgreSQL server, and
 * the event loop stays free while the largest allowed report is computed.
 */
let h: Harness;
let admin: ApiClient;
let manager: ApiClient;
let ws: number;
beforeAll(async () => {
  const asOf = new Date('2026-11-20T12:00:00Z');
  const { db, demo } = await openDemoDb({ seed: 5, asOf, now: asOf });
  h = await startHarness({ db, clockAt: asOf });
  ws = demo.workspaceId;
  const token = async (email: string) => {
    const [u] = await h.db.query<{ id: number }>(sql`select id from users where email = ${email}`);
    return (await createApiToken(h.ctx, { workspaceId: ws, userId: u.id }, { name: 't' })).token;
  };
  admin = apiClient(h.url, await token('admin@demo.voronka.local'));
  const [m] = await h.db.query<{ email: string }>(
    sql`select email from users where workspace_id = ${ws} and role = 'manager' order by id limit 1`,
  );
  manager = apiClient(h.url, await token(m.email));
});
afterAll(async () => {
  await h.close();
});

describe('report request bounds', () => {
  it('refuses a period of millennia, naming the limit, for the funnel and the discipline report, as anyone', async () => {
    for (const api of [admin, manager]) {
      for (const report of ['funnel', 'discipline']) {
        const r = await api.get(`/reports/${report}?from=0001-01-01&to=9999-12-31&by=month`);
        expect(r.status).toBe(400);
        expect(r.body.error.fields[0]).toMatchObject({ field: 'to', code: 'too_big', message: 'the period may span at most 50 years' });
      }
    }
    const ru = await admin.get('/reports/funnel?from=1990-01-01&to=2100-01-01', { 'accept-language': 'ru' });
    expect(ru.body.error.fields[0].message).toBe('период может охватывать не более 50 лет');
  });

  it(`refuses a monthly breakdown of more than ${REPORT_LIMITS.months} months and answers one of exactly that many`, async () => {
    const tooMany = await admin.get('/reports/funnel?from=2016-11-01&to=2026-12-01&by=month');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.fields[0]).toMatchObject({ field: 'by', code: 'too_big' });
    expect(tooMany.body.error.fields[0].message).toContain('at most 120 months; this period has 121');
    const discipline = await admin.get('/reports/discipline?from=2016-11-01&to=2026-12-01&by=month');
    expect(discipline.status).toBe(400);
    const ok = await admin.get('/reports/funnel?from=2016-12-01&to=2026-12-01&by=month');
    expect(ok.status).toBe(200);
    expect(ok.body.groups).toHaveLength(120);
  });

  it(`refuses a breakdown into more than ${REPORT_LIMITS.groups} groups`, async () => {
    const regions = async () => (await admin.get('/reports/funnel?from=2026-01-01&to=2026-11-01&by=region')).status;
    expect(await regions()).toBe(200);
    // 501 deals, each in a region of its own (written directly: only the deals table is counted).
    await h.db.transaction(async (tx) => {
      await tx.query(sql`select set_config('voronka.workspace_id', ${String(ws)}, true)`);
      await tx.query(sql`
        insert into deals (workspace_id, title, pipeline_id, stage_id, status, stage_entered_at, amount_minor, currency, region, created_at, updated_at)
        select d.workspace_id, 'Регион ' || g, d.pipeline_id, d.stage_id, d.status, d.stage_entered_at, 0, d.currency, 'Регион ' || g, d.created_at, d.updated_at
          from (select * from deals where workspace_id = ${ws} order by id limit 1) d, generate_series(1, ${REPORT_LIMITS.groups + 1}) g`);
    });
    const r = await admin.get('/reports/funnel?from=2026-01-01&to=2026-11-01&by=region');
    expect(r.status).toBe(400);
    expect(r.body.error.fields[0]).toMatchObject({ field: 'by', code: 'too_big' });
    expect(r.body.error.fields[0].message).toMatch(/would give \d+ groups; the limit is 500/);
    await h.db.transaction(async (tx) => {
      await tx.query(sql`select set_config('voronka.workspace_id', ${String(ws)}, true)`);
      await tx.query(sql`delete from deals where workspace_id = ${ws} and title like 'Регион %'`);
    });
    expect(await regions()).toBe(200);
  });
});

describe('a report under way', () => {
  it('leaves the server answering: health checks keep being answered while the largest allowed report runs', async () => {
    let done = false;
    const report = admin.get('/reports/funnel?from=2016-12-01&to=2026-12-01&by=month').then((r) => {
      done = true;
      return r;
    });
    // One health check after another, each sent when the previous one answered, for as long
    // as the report runs. A server whose event loop the report held (as a request for 120,000
    // months once did, for 20 s) answers none of them before the report is done.
    let answered = 0;
    const database = new Set<string>();
    while (!done) {
      const r = await fetch(`${h.url}/api/v1/health`);
      expect(r.status).toBe(200);
      if (!done) answered++;
      database.add((await r.json()).database);
    }
    // The embedded database has one session: health says it is busy instead of queueing behind the report.
    expect(database.has('busy')).toBe(ENGINE === 'pglite');
    const r = await report;
    expect(r.status).toBe(200);
    expect(r.body.groups).toHaveLength(120);
    expect(answered).toBeGreaterThanOrEqual(5);
  });

  it.runIf(ENGINE === 'postgres')('is stopped at the statement time limit with a 503 that says what to do', async () => {
    const limited = await startHarness({ db: h.db, clockAt: '2026-11-20T12:00:00Z', config: { reportTimeoutMs: 1 } });
    try {
      const [u] = await h.db.query<{ id: number }>(sql`select id from users where email = 'admin@demo.voronka.local'`);
      const api = apiClient(limited.url, (await createApiToken(limited.ctx, { workspaceId: ws, userId: u.id }, { name: 't' })).token);
      const r = await api.get('/reports/funnel?from=2016-12-01&to=2026-12-01&by=month');
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('REPORT_TIMEOUT');
      expect(r.body.error.message).toContain('shorten the period');
      // The limit is the report's own: the same server still answers lists.
      expect((await api.get('/deals?limit=1')).status).toBe(200);
    } finally {
      await limited.app.close();
    }
  });
});
