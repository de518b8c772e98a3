import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dealHistory } from '../../src/crm/move-deal.ts';
import { checkHistory } from '../../src/history/check-history.ts';
import { importBundle } from '../../src/imports/bundle-import.ts';
import { systemClock } from '../../src/platform/clock.ts';
import { type AppContext, defaultConfig } from '../../src/platform/context.ts';
import { openDb } from '../../src/platform/db/open-db.ts';
import { PgliteDb } from '../../src/platform/db/pglite-db.ts';
import type { Db, Row } from '../../src/platform/db/types.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { BUNDLE_PIPELINE, dealRow, writeBundle } from '../support/bundle.ts';
import {
  BIN,
  type ChildDb,
  type ChildServer,
  childDbArgs,
  childEnv,
  type Exit,
  runCli,
  startChildServer,
} from '../support/child-server.ts';
import { type ApiClient, type ApiResponse, apiClient, type SeededWorkspace, seedWorkspace } from '../support/harness.ts';
import { ENGINE, openTestDb, testDatabaseUrl } from '../support/test-db.ts';

/**
 * kill -9 of the real server (a child process) in the middle of a burst of writes,
 * and of an import in the middle of its merge; then a restart on the same database.
 * Every acknowledged write must be there with the values it returned, nothing may be
 * half-written, and the database must open again (PGlite: the stale pid lock is taken over).
 */

const WORKSPACE = 'Сбой';
let serverDb: Db | null = null; // PostgreSQL: the test database, open throughout
let target: ChildDb;
let seed: SeededWorkspace;
const children = new Set<ChildServer>();

beforeAll(async () => {
  if (ENGINE === 'postgres') {
    serverDb = await openTestDb();
    target = { databaseUrl: testDatabaseUrl(serverDb) };
  } else {
    target = { dataDir: mkdtempSync(join(tmpdir(), 'voronka-faults-')) };
  }
  // The workspace, its admin and API token are written before any server starts
  // (PGlite allows one process per data folder: this one closes it first).
  // PGlite: the folder starts as a copy of the migrated template (no other process uses it yet).
  const db = serverDb ?? (await PgliteDb.open(target.dataDir, inject('pgliteTemplate')));
  try {
    const ctx: AppContext = { db, clock: systemClock, config: { ...defaultConfig } };
    seed = await seedWorkspace({ db, ctx, url: 'http://unused' }, WORKSPACE);
  } finally {
    if (!serverDb) await db.close();
  }
});
afterAll(async () => {
  for (const c of children) await c.kill9();
  await serverDb?.close();
  if (target.dataDir) rmSync(target.dataDir, { recursive: true, force: true });
});

/** The database the children use, from this process: the open test database, or the PGlite folder (no server running). */
async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  if (serverDb) return fn(serverDb);
  const db = await openDb({ dataDir: target.dataDir });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function serve(): Promise<{ server: ChildServer; api: ApiClient }> {
  const server = await startChildServer(target);
  children.add(server);
  void server.exited.then(() => children.delete(server));
  return { server, api: apiClient(server.url, seed.token) };
}

async function expectConsistent(db: Db) {
  const problems = await inWorkspace(db, seed.ws, (tx) => checkHistory(tx, seed.ws));
  expect(problems.filter((p) => p.problems > 0)).toEqual([]);
  // Each deal's cached stage is its last history entry, in the order the code uses.
  const stale = await db.query(sql`
    select d.id from deals d
     where d.workspace_id = ${seed.ws}
       and row(d.stage_id, d.stage_entered_at) is distinct from (
         select row(e.stage_id, e.entered_at) from stage_events e join stages s on s.workspace_id = e.workspace_id and s.id = e.stage_id
          where e.workspace_id = d.workspace_id and e.deal_id = d.id order by e.entered_at desc, s.position desc, e.id desc limit 1)`);
  expect(stale).toEqual([]);
}

type OpKind = 'create' | 'patch' | 'move' | 'move-unversioned';
interface Op {
  kind: OpKind;
  title?: string;
  amount_minor?: number;
  stage_id?: number;
  /** 'acked': a 2xx was received; 'lost': the connection died with the server (it may or may not have committed). */
  state: 'acked' | 'lost';
  body?: Row;
}
interface DealLog {
  title: string;
  id?: number;
  ops: Op[];
}

/** The deal a write answered with (a move answers {deal, event_id}). */
const dealOf = (op: Op): Row => (op.kind.startsWith('move') ? (op.body?.deal as Row) : (op.body as Row));

const SHOWN = ['id', 'title', 'amount_minor', 'stage_id', 'status', 'version', 'stage_entered_at', 'updated_at', 'closed_at'] as const;
const pickShown = (r: Row) => Object.fromEntries(SHOWN.map((k) => [k, r[k]]));

describe('kill -9 of the server', () => {
  it('in the middle of a burst of writes: every acknowledged write survives, nothing is half-written', async () => {
    const { server, api } = await serve();
    const CLIENTS = 12;
    const KILL_AFTER_ACKS = 100;
    const open = seed.stages.filter((s) => s.kind === 'open').map((s) => s.id);
    const logs: DealLog[][] = Array.from({ length: CLIENTS }, () => []);
    const unexpected: unknown[] = [];
    let acks = 0;
    let killed: Promise<Exit> | null = null;
    let amount = 1;

    // Each client works on deals of its own, one request at a time, until the server dies:
    // create, then PATCH the amount, move with version, move without, PATCH again — and again.
    const client = async (c: number) => {
      for (let n = 0; ; n++) {
        const log: DealLog = { title: `Сбой ${c}-${n}`, ops: [] };
        logs[c].push(log);
        for (let step = 0; step < 5; step++) {
          const last = log.ops.length ? dealOf(log.ops[log.ops.length - 1]) : null;
          const op: Op =
            step === 0
              ? { kind: 'create', title: log.title, amount_minor: 100_00 * ++amount, state: 'lost' }
              : step === 1 || step === 4
                ? { kind: 'patch', amount_minor: 100_00 * ++amount, state: 'lost' }
                : { kind: step === 2 ? 'move' : 'move-unversioned', stage_id: open[step], state: 'lost' };
          log.ops.push(op);
          let res: ApiResponse;
          try {
            if (op.kind === 'create') res = await api.post('/deals', { title: op.title, amount_minor: op.amount_minor });
            else if (op.kind === 'patch')
              res = await api.patch(`/deals/${log.id}`, { amount_minor: op.amount_minor, version: last?.version });
            else
              res = await api.post(
                `/deals/${log.id}/move`,
                op.kind === 'move' ? { stage_id: op.stage_id, version: last?.version } : { stage_id: op.stage_id },
              );
          } catch {
            return; // the server is gone: this request may or may not have been committed
          }
          if (res.status !== 200 && res.status !== 201) {
            unexpected.push({ op, status: res.status, body: res.body });
            return;
          }
          op.state = 'acked';
          op.body = res.body;
          if (op.kind === 'create') log.id = res.body.id;
          if (++acks === KILL_AFTER_ACKS) killed = server.kill9();
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    expect(unexpected).toEqual([]);
    expect(killed, 'the server was killed by the test').not.toBeNull();
    expect(await killed).toEqual({ code: null, signal: 'SIGKILL' });
    const all = logs.flat();
    const acked = all.flatMap((l) => l.ops.filter((o) => o.state === 'acked'));
    const lost = all.flatMap((l) => l.ops.filter((o) => o.state === 'lost'));
    expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    // Killed in the middle: requests were on their way when the server died.
    expect(lost.length).toBeGreaterThan(0);

    // Restart on the same database (PGlite: the dead server's pid lock is taken over).
    const again = await serve();
    const known = all.filter((l) => l.id !== undefined);
    for (const log of known) {
      const ackedOps = log.ops.filter((o) => o.state === 'acked');
      const lastAck = dealOf(ackedOps[ackedOps.length - 1]);
      const inFlight = log.ops.find((o) => o.state === 'lost');
      const now = await again.api.get(`/deals/${log.id}`);
      expect(now.status, log.title).toBe(200);
      if (now.body.version === lastAck.version) {
        // Exactly what the last acknowledged write returned.
        expect(pickShown(now.body), log.title).toEqual(pickShown(lastAck));
      } else {
        // One more write, committed before the kill but never acknowledged: it must be the one in flight.
        expect(inFlight, `${log.title}: version ${now.body.version} after acknowledged ${lastAck.version}`).toBeDefined();
        expect(now.body.version, log.title).toBe((lastAck.version as number) + 1);
        if (inFlight?.kind === 'patch') expect(now.body).toMatchObject({ amount_minor: inFlight.amount_minor, stage_id: lastAck.stage_id });
        else expect(now.body).toMatchObject({ stage_id: inFlight?.stage_id, amount_minor: lastAck.amount_minor });
      }
    }
    // The restarted server serves normally.
    const fresh = await again.api.post('/deals', { title: 'После сбоя', amount_minor: 1 });
    expect(fresh.status).toBe(201);
    const moved = await again.api.post(`/deals/${fresh.body.id}/move`, { stage_id: open[1], version: fresh.body.version });
    expect(moved.status).toBe(200);
    const patched = await again.api.patch(`/deals/${fresh.body.id}`, { amount_minor: 2, version: moved.body.deal.version });
    expect(patched.status).toBe(200);
    expect(await again.server.stop()).toEqual({ code: 0, signal: null });

    await withDb(async (db) => {
      await expectConsistent(db);
      const deals = await db.query<{ id: number; title: string; version: number }>(
        sql`select id, title, version from deals where workspace_id = ${seed.ws} and title like 'Сбой %'`,
      );
      const byTitle = new Map(all.map((l) => [l.title, l]));
      for (const d of deals) {
        const log = byTitle.get(d.title);
        // A deal nobody asked for, or a create acknowledged under another id: neither may exist.
        expect(log, d.title).toBeDefined();
        if (log?.id === undefined) {
          // Created by a request that never got its answer: whole, and untouched since.
          expect(log?.ops[0].state).toBe('lost');
          expect(d.version).toBe(1);
        } else expect(d.id).toBe(log.id);
      }
      expect(deals.length).toBeGreaterThanOrEqual(known.length);
      for (const log of known) {
        const [row] = await db.query<{ version: number }>(
          sql`select version from deals where workspace_id = ${seed.ws} and id = ${log.id}`,
        );
        const committed = log.ops.filter((o, i) => o.state === 'acked' || (i === log.ops.length - 1 && row.version === log.ops.length));
        // The history is the creation plus exactly the committed moves, in order, with the ids the moves returned.
        const history = await db.query<{ id: number; stage_id: number }>(sql`
          select e.id, e.stage_id from stage_events e join stages s on s.workspace_id = e.workspace_id and s.id = e.stage_id
           where e.workspace_id = ${seed.ws} and e.deal_id = ${log.id} order by e.entered_at, s.position, e.id`);
        const moves = committed.filter((o) => o.kind.startsWith('move'));
        expect(
          history.slice(1).map((e) => e.stage_id),
          log.title,
        ).toEqual(moves.map((o) => o.stage_id));
        for (const [i, m] of moves.entries()) if (m.state === 'acked') expect(history[i + 1].id).toBe(m.body?.event_id);
        // The audit log holds the creation and every committed PATCH, written with them.
        const audit = await db.query<{ action: string; to: number | null }>(sql`
          select action, (changes -> 'amount_minor' ->> 'to')::int8 as to from audit_log
           where workspace_id = ${seed.ws} and entity = 'deals' and entity_id = ${log.id} order by id`);
        expect(audit, log.title).toEqual([
          { action: 'create', to: null },
          ...committed.filter((o) => o.kind === 'patch').map((o) => ({ action: 'update', to: o.amount_minor })),
        ]);
      }
    });
  });

  it('in the middle of an import: nothing of it is there, and running it again succeeds', async () => {
    // A first import lands; the second (changed amounts, a new stage for each deal, new deals) is killed in its merge.
    const pipeline = { ...BUNDLE_PIPELINE, name: 'Импорт' };
    const N = 1500;
    const NEW = 1000;
    const v1 = writeBundle({
      pipeline,
      deals: Array.from({ length: N }, (_, i) => dealRow(`IMP${i}`, { amount: '1000.00' })),
      events: Array.from({ length: N }, (_, i) => [
        [`IMP${i}`, 'Новый лид', '2025-01-10T10:00:00+03:00'],
        [`IMP${i}`, 'Квалификация', '2025-01-12T10:00:00+03:00'],
      ]).flat(),
    });
    const v2 = writeBundle({
      pipeline,
      deals: Array.from({ length: N + NEW }, (_, i) => dealRow(`IMP${i}`, { amount: '2000.00', owner: 'Анна Смирнова' })),
      events: Array.from({ length: N + NEW }, (_, i) => [
        [`IMP${i}`, 'Новый лид', '2025-01-10T10:00:00+03:00'],
        [`IMP${i}`, 'Квалификация', '2025-01-12T10:00:00+03:00'],
        [`IMP${i}`, 'Встреча', '2025-01-14T10:00:00+03:00'],
      ]).flat(),
    });
    const fingerprint = (db: Db) =>
      db.query(sql`
        select (select count(*) from deals where workspace_id = ${seed.ws}) as deals,
               (select md5(string_agg(concat_ws(':', id, external_id, amount_minor, owner_id, stage_id, version, updated_at), ',' order by id))
                  from deals where workspace_id = ${seed.ws}) as deals_md5,
               (select count(*) from stage_events where workspace_id = ${seed.ws}) as stage_events,
               (select count(*) from stage_visits where workspace_id = ${seed.ws}) as stage_visits,
               (select md5(string_agg(concat_ws(':', pipeline_id, stage_id, segment_key, finished, won, closed, current_closed), ',' order by pipeline_id, stage_id, segment_key))
                  from funnel_counters where workspace_id = ${seed.ws}) as counters_md5,
               (select count(*) from users where workspace_id = ${seed.ws}) as users,
               (select count(*) from companies where workspace_id = ${seed.ws}) as companies,
               (select count(*) from audit_log where workspace_id = ${seed.ws}) as audit,
               (select count(*) from import_runs where workspace_id = ${seed.ws}) as import_runs,
               (select count(*) from pg_indexes where tablename in ('deals', 'stage_events', 'stage_visits')) as indexes`);
    const before = await withDb(async (db) => {
      const r = await importBundle(db, v1, { workspace: WORKSPACE, now: new Date() });
      expect(r).toMatchObject({ workspace_created: false, pipeline_created: true, deals_created: N, stage_entries_added: 2 * N });
      return fingerprint(db);
    });

    const child: ChildProcess = spawn(process.execPath, [BIN, 'import', v2, '--workspace', WORKSPACE, ...childDbArgs(target)], {
      env: childEnv(target),
    });
    const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    let err = '';
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => {
      err += d;
      // Both files are staged and checked row by row; the merge into the real tables runs now.
      if (err.includes('stage_events.csv:')) child.kill('SIGKILL');
    });
    expect(await exited, `the import was not killed mid-way:\n${out}${err}`).toEqual({ code: null, signal: 'SIGKILL' });
    expect(out).toBe('');

    // Nothing of it: the database is exactly as before, and consistent (PGlite: opens again after kill -9).
    await withDb(async (db) => {
      expect(await fingerprint(db)).toEqual(before);
      await expectConsistent(db);
    });

    const rerun = await runCli(['import', v2, '--workspace', WORKSPACE], target);
    expect(rerun.stderr).not.toMatch(/error/i);
    expect(rerun.code).toBe(0);
    // Counts as English writes them: 1,500.
    const en = (n: number) => n.toLocaleString('en-US');
    expect(rerun.stdout).toContain(`deals: ${en(NEW)} created, ${en(N)} updated, 0 unchanged (${en(N + NEW)} rows)`);
    expect(rerun.stdout).toContain(`stage entries: ${en(N + 3 * NEW)} added, ${en(2 * N)} already present (${en(3 * (N + NEW))} rows)`);

    // All of it: every deal of the bundle with its new values and full history; the server serves it.
    await withDb(async (db) => {
      await expectConsistent(db);
      const [r] = await db.query(sql`
        select count(*) as deals, count(*) filter (where d.amount_minor = 200000) as amounts,
               count(*) filter (where s.name = 'Встреча') as in_meeting,
               count(*) filter (where u.name = 'Анна Смирнова') as owners,
               (select count(*) from stage_events e where e.workspace_id = ${seed.ws} and e.pipeline_id = p.id) as entries
          from deals d join pipelines p on p.workspace_id = d.workspace_id and p.id = d.pipeline_id
          join stages s on s.workspace_id = d.workspace_id and s.id = d.stage_id
          join users u on u.workspace_id = d.workspace_id and u.id = d.owner_id
         where d.workspace_id = ${seed.ws} and p.name = 'Импорт' group by p.id`);
      const all = N + NEW;
      expect(r).toEqual({ deals: all, amounts: all, in_meeting: all, owners: all, entries: 3 * all });
      const [d] = await db.query<{ id: number }>(sql`select id from deals where workspace_id = ${seed.ws} and external_id = 'IMP7'`);
      const history = await inWorkspace(db, seed.ws, (tx) => dealHistory(tx, seed.ws, d.id));
      expect(history.map((e) => e.stage_name)).toEqual(['Новый лид', 'Квалификация', 'Встреча']);
    });
  });
});
