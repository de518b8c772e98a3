import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFunnelQuery } from '../../src/analytics/funnel-query.ts';
import { funnelReport } from '../../src/analytics/funnel-report.ts';
import { percentileCont } from '../../src/analytics/stats.ts';
import { importMaven, type MavenReport } from '../../src/imports/maven-import.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { openTestDb } from '../support/test-db.ts';

const DIR = join(import.meta.dirname, '../../examples/maven-crm');
const rows = parse(readFileSync(join(DIR, 'sales_pipeline.csv'), 'utf8'), { columns: true }) as Record<string, string>[];

let db: Db;
let first: MavenReport;
beforeAll(async () => {
  db = await openTestDb();
  first = await importMaven(db, DIR, { now: new Date('2026-01-01T00:00:00Z') });
});
afterAll(async () => {
  await db.close();
});

describe('the Maven CRM data set', () => {
  it('imports every row and reports each quirk it handled', () => {
    expect(first.bundle).toMatchObject({ deals_in_file: 8800, deals_created: 8800, workspace: 'MavenTech', changed: true });
    expect(first.quirks).toEqual({
      product_GTXPro_renamed_GTX_Pro: rows.filter((r) => r.product === 'GTXPro').length,
      sector_technolgy_fixed: 12,
      country_Philipines_fixed: 1,
      deals_without_account: rows.filter((r) => !r.account).length,
      prospecting_without_dates_at_snapshot: rows.filter((r) => r.deal_stage === 'Prospecting').length,
      creation_date_unknown_engage_date_used: rows.filter((r) => r.deal_stage !== 'Prospecting').length,
      lost_close_value_0_amount_list_price: rows.filter((r) => r.deal_stage === 'Lost').length,
      open_without_value_amount_list_price: rows.filter((r) => r.deal_stage === 'Engaging' || r.deal_stage === 'Prospecting').length,
    });
    expect(first.agents_without_deals.length).toBe(5);
    expect(first.snapshot_date).toBe('2017-12-31');
  });

  it('gives the figures one can check against the raw file', async () => {
    const won = rows.filter((r) => r.deal_stage === 'Won');
    const lost = rows.filter((r) => r.deal_stage === 'Lost');
    const cycles = won.map((r) => (Date.parse(r.close_date) - Date.parse(r.engage_date)) / 86_400_000).sort((a, b) => a - b);
    const [w] = await db.query<{ workspace_id: number }>(`select workspace_id from workspaces where name = 'MavenTech'`);
    const r = (await inWorkspace(db, w.workspace_id, async (tx) =>
      funnelReport(
        tx,
        await resolveFunnelQuery(tx, w.workspace_id, { from: '2016-10-01', to: '2018-01-01' }, new Date('2026-01-01T00:00:00Z')),
      ),
    )) as unknown as Record<string, any>;
    expect(r.deals_created).toBe(8800);
    expect(r.deals_won).toBe(won.length);
    expect(r.deals_lost).toBe(lost.length);
    expect(r.won_amount).toBe(won.reduce((s, x) => s + Number(x.close_value), 0));
    expect(r.win_rate).toBeCloseTo(won.length / (won.length + lost.length), 12);
    expect(r.cycle_days.median).toBe(percentileCont(cycles, 0.5));
    expect(r.cycle_days.p90).toBeCloseTo(percentileCont(cycles, 0.9) as number, 9);
    expect(r.open_deals).toBe(8800 - won.length - lost.length);
  });

  it('stamps every row it writes with the instant it was given, not the database clock', async () => {
    const [w] = await db.query<{ workspace_id: number }>(`select workspace_id from workspaces where name = 'MavenTech'`);
    const at = new Date('2026-01-01T00:00:00Z');
    for (const table of ['users', 'companies', 'custom_fields', 'pipelines', 'segments']) {
      const [r] = await db.query<{ n: number; min: Date; max: Date }>(
        sql(
          [
            `select count(*)::int8 as n, min(least(created_at, updated_at)) as min, max(greatest(created_at, updated_at)) as max from ${table} where workspace_id = `,
            '',
          ],
          w.workspace_id,
        ),
      );
      expect({ table, ...r }).toEqual({ table, n: r.n, min: at, max: at });
      expect(r.n, table).toBeGreaterThan(0);
    }
    const [d] = await db.query<{ min: Date; max: Date }>(
      sql`select min(updated_at) as min, max(updated_at) as max from deals where workspace_id = ${w.workspace_id}`,
    );
    expect(d).toEqual({ min: at, max: at });
    const [e] = await db.query<{ min: Date; max: Date }>(
      sql`select min(recorded_at) as min, max(recorded_at) as max from stage_events where workspace_id = ${w.workspace_id}`,
    );
    expect(e).toEqual({ min: at, max: at });
  });

  it('is idempotent', async () => {
    const again = await importMaven(db, DIR, { now: new Date('2026-01-02T00:00:00Z') });
    expect(again.bundle).toMatchObject({ changed: false, deals_created: 0, deals_updated: 0, stage_entries_added: 0 });
  });
});
