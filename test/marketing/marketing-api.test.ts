import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../../src/imports/bundle-import.ts';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import type { Role } from '../../src/platform/auth/roles.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { type ApiClient, apiClient, countRows, type Harness, startHarness } from '../support/harness.ts';
import { marketingBundle } from '../support/marketing-fixture.ts';

let h: Harness;
let ws: number;
const as: Partial<Record<Role, ApiClient>> = {};
const ids: Record<string, number> = {};
const PERIOD = 'from=2025-01-01&to=2025-02-01&as_of=2025-03-01T00:00:00%2B03:00';
const put = (c: ApiClient, path: string, body: unknown) =>
  c.raw(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  h = await startHarness({ clockAt: '2026-01-10T09:00:00Z' });
  await importBundle(h.db, marketingBundle(), { workspace: 'Маркетинг', now: h.clock.now() });
  const [w] = await h.db.query<{ workspace_id: number }>(`select workspace_id from workspaces where name = 'Маркетинг'`);
  ws = Number(w.workspace_id);
  for (const role of ['admin', 'marketer', 'manager', 'service'] as Role[]) {
    const id = await addUser(h.db, ws, { name: role, email: `${role}@mkt.test`, role, password: 'correct horse battery' }, h.clock.now());
    ids[role] = id;
    as[role] = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: ws, userId: id }, { name: 't' })).token);
  }
  // The manager owns two of the January leads (one of them of the won D1, which is not theirs).
  await h.db.query(
    `update leads set owner_id = ${ids.manager} where workspace_id = ${ws} and external_id in ('L1_three_touches', 'L3_lost')`,
  );
  const leads = await h.db.query<{ id: number; external_id: string }>(`select id, external_id from leads where workspace_id = ${ws}`);
  for (const l of leads) ids[l.external_id] = Number(l.id);
});
afterAll(async () => {
  await h?.close();
});

describe('the channels report over HTTP, with the role rules', () => {
  it('answers the admin and the marketer with the whole workspace', async () => {
    for (const role of ['admin', 'marketer'] as Role[]) {
      const r = await as[role]!.get(`/reports/channels?${PERIOD}`);
      expect(r.status).toBe(200);
      expect(r.body.scope).toBe('all');
      expect(r.body.total).toMatchObject({ leads: 7, opportunities: 5, won: 2, won_amount: 1400, spend: 2100 });
      expect(r.body.total.attribution.first_touch).toEqual({ Вебинары: 900, Выставки: 500 });
    }
  });

  it('shows a manager only their own leads and deals, and no spend', async () => {
    const r = await as.manager!.get(`/reports/channels?${PERIOD}`);
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe('own');
    expect(r.body.total).toMatchObject({ leads: 2, opportunities: 2, won: 1, won_amount: 900, spend: null, cost_per_lead: null });
    // The deals won in the period are Иван Петров's, not the manager's.
    expect(r.body.total.attribution.first_touch).toEqual({});
    expect(r.body.groups.map((g: { key: string }) => g.key).sort()).toEqual(['Вебинары', 'Сайт']);
  });

  it('refuses the service role', async () => {
    const r = await as.service!.get(`/reports/channels?${PERIOD}`);
    expect(r.status).toBe(403);
  });

  it('lists the leads behind a figure, the same ones the figure counts', async () => {
    const r = await as.admin!.get(`/reports/channels/leads?${PERIOD}&channel=Вебинары&metric=opportunities`);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(2);
    expect(r.body.deals).toBe(1);
    expect(r.body.amount).toBe(900);
    expect(r.body.items.map((i: { title: string; deal_id: number | null }) => i.deal_id !== null)).toEqual([true, true]);
    const none = await as.admin!.get(`/reports/channels/leads?${PERIOD}&channel=Телевидение`);
    expect(none.status).toBe(400);
    expect(none.body.error.fields[0].field).toBe('channel');
  });

  it('gives the months and the segments of the period', async () => {
    const m = await as.admin!.get('/reports/channels/months?from=2025-01-01&to=2025-03-01&as_of=2025-03-01T00:00:00%2B03:00');
    expect(m.status).toBe(200);
    expect(m.body.items.map((x: { month: string; spend: number; leads: number }) => [x.month, x.leads, x.spend])).toEqual([
      ['2025-01', 7, 2100],
      ['2025-02', 1, 999],
    ]);
    const s = await as.admin!.get(`/reports/channels/segments?${PERIOD}`);
    expect(s.status).toBe(200);
    expect(s.body.items).toContainEqual({ segment: 'SMB', kind: 'inbound', leads: 5, opportunities: 5, won: 2, won_amount: 1400 });
  });
});

describe('spend', () => {
  it('is upserted by channel and month, audited, and refuses a stale version with 409', async () => {
    const first = await put(as.marketer!, '/marketing-spend', { entries: [{ channel: 'Сайт', month: '2025-03', amount: '1 234,56' }] });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ created: 1, updated: 0, unchanged: 0 });
    const list = await as.marketer!.get('/marketing-spend?from=2025-03&to=2025-03');
    expect(list.body.items).toMatchObject([{ channel: 'Сайт', month: '2025-03', amount: 1234.56, version: 1 }]);
    const again = await put(as.marketer!, '/marketing-spend', {
      entries: [{ channel: 'сайт', month: '2025-03', amount: 1500, version: 1 }],
    });
    expect(again.body).toEqual({ created: 0, updated: 1, unchanged: 0 });
    const stale = await put(as.marketer!, '/marketing-spend', {
      entries: [{ channel: 'Сайт', month: '2025-03', amount: 1600, version: 1 }],
    });
    expect(stale.status).toBe(409);
    const audit = await h.db.query<{ action: string }>(
      `select action from audit_log where workspace_id = ${ws} and entity = 'marketing_spend' and user_id = ${ids.marketer} order by id`,
    );
    expect(audit.map((a) => a.action)).toEqual(['create', 'update']);
  });

  it('names the field of every bad entry and writes none of them', async () => {
    const before = await countRows(h.db, 'marketing_spend', ws);
    const r = await put(as.admin!, '/marketing-spend', {
      entries: [
        { channel: 'Сайт', month: '2025-04', amount: 10 },
        { channel: 'Телевидение', month: '2025-13', amount: -5 },
        { channel: 'Сайт', month: '2025-05', amount: '12.345' },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.body.error.fields.map((f: { field: string }) => f.field)).toEqual([
      'entries.1.channel',
      'entries.1.month',
      'entries.1.amount',
      'entries.2.amount',
    ]);
    expect(await countRows(h.db, 'marketing_spend', ws)).toBe(before);
  });

  it('is entered only by an admin, the head of sales or a marketer', async () => {
    const r = await put(as.manager!, '/marketing-spend', { entries: [{ channel: 'Сайт', month: '2025-06', amount: 1 }] });
    expect(r.status).toBe(403);
  });

  it('is uploaded as a Russian Excel CSV (Windows-1251, semicolons), all or nothing', async () => {
    const upload = (text: string) => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(iconv.encode(text, 'win1251'))]), 'расходы.csv');
      return as.marketer!.raw('/marketing-spend/import', { method: 'POST', body: form });
    };
    const ok = await upload('Канал;Месяц;Сумма\r\nВебинары;2025-04;1 500,50\r\nВыставки;2025-04;0\r\n');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ in_file: 2, created: 2, updated: 0, unchanged: 0 });
    const before = await countRows(h.db, 'marketing_spend', ws);
    const bad = await upload('channel;month;amount\r\nВебинары;2025-05;10\r\nТелевидение;2025-05;10\r\n');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/spend\.csv, (line|строка) 3, (column|столбец) channel/);
    expect(await countRows(h.db, 'marketing_spend', ws)).toBe(before);
  });
});

describe('ICP rules', () => {
  it('are saved as a new version, re-scoring every lead, with 409 for a stale version', async () => {
    const cur = await as.admin!.get('/icp-rules');
    expect(cur.body.version).toBe(1);
    const rules = { threshold: 30, rules: [{ field: 'region', in: ['Москва'], points: 40 }] };
    const stale = await put(as.admin!, '/icp-rules', { rules, version: 0 });
    expect(stale.status).toBe(409);
    const saved = await put(as.marketer!, '/icp-rules', { rules, version: 1 });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ version: 2, changed: true, rescored: 8, created_by: 'marketer' });
    const fit = await as.admin!.get(`/leads/${ids.L1_three_touches}/fit`);
    expect(fit.body).toMatchObject({ fit_score: 40, version: 2, threshold: 30, fits: true, current_version: 2 });
    expect(fit.body.matched).toEqual([{ position: 0, field: 'region', in: ['Москва'], points: 40 }]);
    const r = await as.admin!.get(`/reports/channels?${PERIOD}`);
    // L1, L4 and L5 are in Moscow; L4 and L5 are January leads too.
    expect(r.body.total.icp_share).toBeCloseTo(3 / 7, 12);
    const versions = await as.admin!.get('/icp-rules/versions');
    expect(versions.body.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
  });

  it('refuse an unknown field, min above max and points out of range, naming each', async () => {
    const r = await put(as.admin!, '/icp-rules', {
      rules: {
        threshold: 1,
        rules: [
          { field: 'revenue', in: ['x'], points: 1 },
          { field: 'employees', min: 10, max: 5, points: 1 },
          { field: 'industry', in: ['ИТ'], points: -101 },
        ],
      },
      version: 2,
    });
    expect(r.status).toBe(400);
    expect(r.body.error.fields.map((f: { field: string }) => f.field)).toEqual([
      'rules.rules.0.field',
      'rules.rules.1.min',
      'rules.rules.2.points',
    ]);
    expect((await as.admin!.get('/icp-rules')).body.version).toBe(2);
  });

  it('preview how many leads each rule matches without saving', async () => {
    const r = await as.admin!.post('/icp-rules/preview', {
      rules: {
        threshold: 50,
        rules: [
          { field: 'industry', in: ['Производство'], points: 30 },
          { field: 'employees', min: 100, max: 1000, points: 30 },
        ],
      },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ leads: 8, fit: 2, per_rule: [3, 3], score_min: 0, score_max: 60 });
    expect((await as.admin!.get('/icp-rules')).body.version).toBe(2);
  });
});

describe('touches and the journey', () => {
  it('records a touch once per lead, channel and instant, and refuses one without a time zone', async () => {
    const bad = await as.manager!.post('/touches', { lead_id: ids.L1_three_touches, channel: 'Сайт', at: '2025-01-20T10:00:00' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0]).toMatchObject({ field: 'at', code: 'no_time_zone' });
    const t = { lead_id: ids.L1_three_touches, channel: 'Сайт', at: '2025-01-20T10:00:00+03:00', kind: 'call' };
    const a = await as.manager!.post('/touches', t);
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ channel: 'Сайт', kind: 'call', created: true });
    const b = await as.manager!.post('/touches', t);
    expect(b.body.created).toBe(false);
    // Not the manager's lead.
    const other = await as.manager!.post('/touches', { ...t, lead_id: ids.L5_fits_no_deal });
    expect(other.status).toBe(404);
  });

  it('shows a deal’s journey: its leads and their touches, then its stages, in time order', async () => {
    const [d] = await h.db.query<{ id: number }>(`select id from deals where workspace_id = ${ws} and external_id = 'D1'`);
    const j = await as.admin!.get(`/deals/${d.id}/journey`);
    expect(j.status).toBe(200);
    expect(j.body.lead_ids).toHaveLength(3);
    const seq = j.body.steps.map((s: { type: string; channel?: string; stage?: string }) => `${s.type}:${s.channel ?? s.stage ?? ''}`);
    expect(seq).toEqual([
      'lead:Вебинары',
      'touch:Вебинары',
      'touch:Сайт',
      'lead:Вебинары',
      'lead:Выставки',
      'stage:Новый лид',
      'touch:Вебинары',
      'stage:Встреча',
      'touch:Сайт',
      'touch:Реклама',
      'stage:Успешно реализовано',
      'touch:Сайт',
    ]);
  });
});

describe('disqualification', () => {
  it('asks for a reason once the workspace keeps a list', async () => {
    const reason = await as.admin!.post('/lead-disqualify-reasons', {
      name_ru: 'Нет бюджета',
      name_en: 'No budget',
      position: 1,
      active: true,
    });
    expect(reason.status).toBe(201);
    const lead = await as.admin!.get(`/leads/${ids.L5_fits_no_deal}`);
    const no = await as.admin!.patch(`/leads/${ids.L5_fits_no_deal}`, { version: lead.body.version, status: 'disqualified' });
    expect(no.status).toBe(400);
    expect(no.body.error.fields[0].field).toBe('disqualify_reason_id');
    const yes = await as.admin!.patch(`/leads/${ids.L5_fits_no_deal}`, {
      version: lead.body.version,
      status: 'disqualified',
      disqualify_reason_id: reason.body.id,
    });
    expect(yes.status).toBe(200);
    expect(yes.body).toMatchObject({ status: 'disqualified', disqualify_reason_id: reason.body.id });
  });
});
