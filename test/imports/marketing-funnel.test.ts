import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFunnelQuery } from '../../src/analytics/funnel-query.ts';
import { DEALS_FILE, importMarketingFunnel, MQL_FILE } from '../../src/imports/marketing-funnel-import.ts';
import { channelsReport } from '../../src/marketing/channels-report.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { AppError } from '../../src/platform/errors.ts';
import { openTestDb } from '../support/test-db.ts';

/**
 * The public "marketing funnel" shape (two CSVs of a marketplace's seller acquisition), on our own
 * fixture test/fixtures/marketing-funnel: 8 qualified leads (two with an empty origin), 4 closed
 * deals (one without a readable revenue, one won before its lead's first contact, one without a
 * segment).
 */
const FIXTURE = join(import.meta.dirname, '../fixtures/marketing-funnel');
const now = new Date('2026-01-01T00:00:00Z');
let db: Db;
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db?.close();
});

const copy = () => {
  const dir = mkdtempSync(join(tmpdir(), 'voronka-mf-test-'));
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
};

describe('import --format marketing-funnel', () => {
  it('makes every qualified lead a lead of its origin and every closed deal a won deal linked to it, and says what it counted', async () => {
    const r = await importMarketingFunnel(db, FIXTURE, { workspace: 'Olist', now });
    expect(r.quirks).toEqual({
      leads_in_file: 8,
      closed_deals_in_file: 4,
      origin_empty_as_unknown: 2,
      closed_deals_without_won_date_skipped: 0,
      revenue_empty_or_unreadable_as_zero: 1,
      won_before_first_contact: 1,
      segment_empty: 1,
    });
    expect(r.bundle).toMatchObject({ deals_created: 4, stage_entries_added: 8, new_segments: ['home_decor', 'pet'] });
    expect(r.bundle.marketing).toMatchObject({ leads_created: 8, leads_converted: 4 });
    expect(r.bundle.marketing?.new_owners.sort()).toEqual(['SDR sdr00000000000000000000000000001', 'SDR sdr00000000000000000000000000002']);
    const [w] = await db.query<{ workspace_id: number }>(`select workspace_id from workspaces where name = 'Olist'`);
    const ws = Number(w.workspace_id);
    const owners = await db.query<{ lead: string; lead_owner: string; deal_owner: string; amount: number }>(`
      select l.external_id as lead, lu.name as lead_owner, du.name as deal_owner, d.amount_minor as amount
        from leads l join deals d on d.workspace_id = l.workspace_id and d.id = l.deal_id
        join users lu on lu.workspace_id = l.workspace_id and lu.id = l.owner_id
        join users du on du.workspace_id = d.workspace_id and du.id = d.owner_id
       where l.workspace_id = ${ws} order by l.external_id`);
    expect(owners.map((o) => [o.lead.slice(0, 3), o.lead_owner.slice(0, 6), o.deal_owner, Number(o.amount)])).toEqual([
      ['07f', 'SDR sd', 'SR sr000000000000000000000000000002', 12000050],
      ['a1f', 'SDR sd', 'SR sr000000000000000000000000000001', 5000000],
      ['c3f', 'SDR sd', 'SR sr000000000000000000000000000001', 0],
      ['d4f', 'SDR sd', 'SR sr000000000000000000000000000002', 0],
    ]);
    const rep = await inWorkspace(db, ws, async (tx) =>
      channelsReport(tx, await resolveFunnelQuery(tx, ws, { from: '2018-01-01', to: '2018-05-01' }, now)),
    );
    const byKey = Object.fromEntries(rep.groups.map((g) => [g.key, [g.leads, g.opportunities, g.won, g.won_amount]]));
    expect(byKey).toEqual({
      organic_search: [2, 1, 1, 50000],
      paid_search: [2, 1, 1, 0],
      unknown: [2, 1, 1, 0],
      referral: [1, 1, 1, 120000.5],
      social: [1, 0, 0, 0],
    });
    expect(rep.total).toMatchObject({ leads: 8, opportunities: 4, won: 4, won_amount: 170000.5 });
    // Again: nothing changes.
    const again = await importMarketingFunnel(db, FIXTURE, { workspace: 'Olist', now });
    expect(again.bundle.changed).toBe(false);
  });

  it('refuses a duplicated mql_id and a closed deal whose lead is missing, naming file, line and value, writing nothing', async () => {
    const dup = copy();
    const mql = readFileSync(join(dup, MQL_FILE), 'utf8').trimEnd().split('\n');
    writeFileSync(join(dup, MQL_FILE), `${[...mql, mql[3]].join('\n')}\n`);
    const e1 = await importMarketingFunnel(db, dup, { workspace: 'Olist 2', now }).catch((x) => x);
    expect(e1).toBeInstanceOf(AppError);
    expect((e1 as AppError).msg.en).toBe(
      `${MQL_FILE}, line 10, column mql_id: mql_id is also on line 4 ("c3f0000000000000000000000000000c")`,
    );
    const orphan = copy();
    const deals = readFileSync(join(orphan, DEALS_FILE), 'utf8').trimEnd().split('\n');
    writeFileSync(join(orphan, DEALS_FILE), `${[...deals, deals[1].replace('a1f0000000000000000000000000000a', 'ffff')].join('\n')}\n`);
    const e2 = await importMarketingFunnel(db, orphan, { workspace: 'Olist 2', now }).catch((x) => x);
    expect((e2 as AppError).msg.en).toBe(`${DEALS_FILE}, line 6, column mql_id: no lead "ffff" in ${MQL_FILE} ("ffff")`);
    const [n] = await db.query<{ n: number }>(`select count(*)::int as n from workspaces where name = 'Olist 2'`);
    expect(n.n).toBe(0);
  });
});
