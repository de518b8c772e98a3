import sql, { raw } from 'sql-template-tag';
import { expect } from 'vitest';
import type { FunnelKpis, FunnelStage } from '../../src/analytics/funnel-types.ts';
import { close } from '../../src/analytics/stats.ts';
import { refreshDealsIn } from '../../src/history/stage-history.ts';
import { bulkInsert, reserveIds } from '../../src/platform/db/bulk.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { scopeTo } from '../../src/platform/db/workspace-scope.ts';
import { createWorkspace } from '../../src/platform/workspaces.ts';
import { createPipeline, loadStages } from '../../src/process/pipelines.ts';
import type { RefData, RefDeal } from './funnel-reference.ts';

export interface FixtureDeal {
  key: string;
  amount_minor: number;
  segment?: string | null;
  owner?: string | null;
  channel?: string | null;
  region?: string | null;
  /** [stage name, ISO instant] in any order. */
  events: [string, string][];
}

export interface LoadedFixture {
  ws: number;
  stages: FunnelStage[];
  dealIds: Map<string, number>;
  ref: RefData;
}

/**
 * Writes deals and their histories straight into a workspace (as an import would)
 * and returns the same data in the shape the reference implementation reads.
 */
export async function loadFixture(
  db: Db,
  opts: {
    name: string;
    timeZone: string;
    stages: { name: string; kind: 'open' | 'won' | 'lost' }[];
    deals: FixtureDeal[];
    teams?: Record<string, string>;
  },
): Promise<LoadedFixture> {
  const now = new Date('2030-01-01T00:00:00Z');
  return db.transaction(async (tx) => {
    const w = await createWorkspace(tx, { name: opts.name, timezone: opts.timeZone }, now);
    const ws = w.workspace_id;
    await scopeTo(tx, ws);
    const pipelineId = await createPipeline(tx, ws, now, { name: 'Воронка', stages: opts.stages });
    const stages = (await loadStages(tx, ws, pipelineId)) as FunnelStage[];
    const byName = new Map(stages.map((s) => [s.name, s]));
    const named = async (table: 'users' | 'segments' | 'channels', names: (string | null | undefined)[]) => {
      const map = new Map<string, number>();
      for (const n of new Set(names.filter((x): x is string => !!x))) {
        const [r] = await tx.query<{ id: number }>(
          table === 'users'
            ? sql`insert into users (workspace_id, name, role, team) values (${ws}, ${n}, 'manager', ${opts.teams?.[n] ?? null}) returning id`
            : sql`insert into ${raw(table)} (workspace_id, name) values (${ws}, ${n}) returning id`,
        );
        map.set(n, r.id);
      }
      return map;
    };
    const owners = await named(
      'users',
      opts.deals.map((d) => d.owner),
    );
    const segments = await named(
      'segments',
      opts.deals.map((d) => d.segment),
    );
    const channels = await named(
      'channels',
      opts.deals.map((d) => d.channel),
    );
    const ids = await reserveIds(tx, 'deals', opts.deals.length);
    const first = stages[0];
    await bulkInsert(
      tx,
      'deals',
      [
        { name: 'workspace_id', type: 'int8', values: opts.deals.map(() => ws) },
        { name: 'id', type: 'int8', values: ids },
        { name: 'external_id', type: 'text', values: opts.deals.map((d) => d.key) },
        { name: 'title', type: 'text', values: opts.deals.map((d) => d.key) },
        { name: 'pipeline_id', type: 'int8', values: opts.deals.map(() => pipelineId) },
        { name: 'stage_id', type: 'int8', values: opts.deals.map(() => first.id) },
        { name: 'status', type: 'text', values: opts.deals.map(() => 'open') },
        { name: 'stage_entered_at', type: 'timestamptz', values: opts.deals.map(() => now) },
        { name: 'amount_minor', type: 'int8', values: opts.deals.map((d) => d.amount_minor) },
        { name: 'currency', type: 'text', values: opts.deals.map(() => 'RUB') },
        { name: 'owner_id', type: 'int8', values: opts.deals.map((d) => (d.owner ? owners.get(d.owner) : null)) },
        { name: 'segment_id', type: 'int8', values: opts.deals.map((d) => (d.segment ? segments.get(d.segment) : null)) },
        { name: 'channel_id', type: 'int8', values: opts.deals.map((d) => (d.channel ? channels.get(d.channel) : null)) },
        { name: 'region', type: 'text', values: opts.deals.map((d) => d.region ?? null) },
        { name: 'created_at', type: 'timestamptz', values: opts.deals.map(() => now) },
      ],
      { overridingIds: true },
    );
    const ev = opts.deals.flatMap((d, i) =>
      d.events.map(([stage, at]) => ({ deal: ids[i], stage: byName.get(stage)?.id, at: new Date(at) })),
    );
    for (const e of ev) if (e.stage === undefined) throw new Error('fixture names an unknown stage');
    const eventIds = await reserveIds(tx, 'stage_events', ev.length);
    await bulkInsert(
      tx,
      'stage_events',
      [
        { name: 'workspace_id', type: 'int8', values: ev.map(() => ws) },
        { name: 'id', type: 'int8', values: eventIds },
        { name: 'deal_id', type: 'int8', values: ev.map((e) => e.deal) },
        { name: 'pipeline_id', type: 'int8', values: ev.map(() => pipelineId) },
        { name: 'stage_id', type: 'int8', values: ev.map((e) => e.stage) },
        { name: 'entered_at', type: 'timestamptz', values: ev.map((e) => e.at) },
        { name: 'source', type: 'text', values: ev.map(() => 'import') },
      ],
      { overridingIds: true },
    );
    await tx.exec('drop table if exists fixture_deals');
    await tx.query(sql`create temp table fixture_deals on commit drop as select unnest(${ids}::int8[]) as deal_id`);
    await refreshDealsIn(tx, ws, 'fixture_deals');
    const refDeals: RefDeal[] = opts.deals.map((d, i) => ({
      id: ids[i],
      amount_minor: d.amount_minor,
      segment_id: d.segment ? (segments.get(d.segment) as number) : null,
      owner_id: d.owner ? (owners.get(d.owner) as number) : null,
      channel_id: d.channel ? (channels.get(d.channel) as number) : null,
      region: d.region ?? null,
      team: d.owner ? (opts.teams?.[d.owner] ?? null) : null,
    }));
    return {
      ws,
      stages,
      dealIds: new Map(opts.deals.map((d, i) => [d.key, ids[i]])),
      ref: {
        stages,
        deals: refDeals,
        events: ev.map((e, i) => ({ id: eventIds[i], deal_id: e.deal, stage_id: e.stage as number, entered_at: e.at })),
      },
    };
  });
}

/** Deep comparison with kpi.md's tolerance (1e-9 relative) for every number. */
export function expectKpisClose(actual: unknown, expected: unknown, path = 'report'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (!close(actual, expected)) expect.fail(`${path}: ${actual} ≠ ${expected}`);
    return;
  }
  if (expected === null || typeof expected !== 'object') {
    expect(actual, path).toEqual(expected);
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    for (const [i, e] of expected.entries()) expectKpisClose((actual as unknown[])[i], e, `${path}[${i}]`);
    return;
  }
  expect(actual, path).toBeTypeOf('object');
  expect(actual, path).not.toBeNull();
  const a = actual as Record<string, unknown>;
  for (const [k, v] of Object.entries(expected)) expectKpisClose(a[k], v, `${path}.${k}`);
}

/** The KPI part of a report object. */
export function kpisOf(r: Record<string, unknown>): FunnelKpis {
  const keys: (keyof FunnelKpis)[] = [
    'deals_created',
    'deals_won',
    'deals_lost',
    'won_amount',
    'win_rate',
    'cohort_win_rate',
    'avg_won_amount',
    'cycle_days',
    'stage_conversion',
    'stage_duration_days',
    'open_deals',
    'open_amount',
    'stage_win_probability',
    'weighted_pipeline',
    'velocity_per_day',
    'stuck_deals',
  ];
  return Object.fromEntries(keys.map((k) => [k, r[k]])) as unknown as FunnelKpis;
}
