import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunnelParams, resolveFunnelQuery } from '../../src/analytics/funnel-query.ts';
import { funnelReport } from '../../src/analytics/funnel-report.ts';
import type { Breakdown, FilterKey } from '../../src/analytics/funnel-types.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { Rand } from '../../src/platform/random.ts';
import { expectKpisClose, type FixtureDeal, kpisOf, type LoadedFixture, loadFixture } from '../support/funnel-data.ts';
import { type RefQuery, referenceFunnel } from '../support/funnel-reference.ts';
import { openTestDb } from '../support/test-db.ts';

/**
 * The SQL engine against the in-memory reference of kpi.md on thousands of
 * generated deals: random histories (moves back, same-instant entries, lost and
 * reopened deals, entries exactly on month boundaries), many periods, as-of
 * instants, filters and breakdowns, in time zones with and without DST.
 */

const ZONES = ['Europe/Moscow', 'Europe/Berlin', 'America/New_York'];
const SEGMENTS = ['SMB', 'Mid', 'Ent'];
const OWNERS = ['Анна', 'Борис', 'Вера', 'Глеб', 'Дина'];
const TEAMS: Record<string, string> = { Анна: 'Север', Борис: 'Север', Вера: 'Юг', Глеб: 'Юг' };
const CHANNELS = ['Сайт', 'Звонки', 'Партнёры', 'Выставки'];
const REGIONS = ['Москва', 'Казань', 'Пермь'];

function generate(seed: number, zone: string, count: number) {
  const rand = new Rand(seed);
  const openCount = rand.int(3, 6);
  const stages = [
    ...Array.from({ length: openCount }, (_, i) => ({ name: `Этап ${i + 1}`, kind: 'open' as const })),
    { name: 'Выиграна', kind: 'won' as const },
    { name: 'Проиграна', kind: 'lost' as const },
  ];
  const start = DateTime.fromISO('2024-09-01', { zone }).toMillis();
  const span = 240 * 86_400_000;
  // Month starts in the zone, so that some entries land exactly on period boundaries.
  const boundaries: number[] = [];
  for (let m = DateTime.fromMillis(start, { zone }).startOf('month'); m.toMillis() < start + span; m = m.plus({ months: 1 }))
    boundaries.push(m.toMillis());
  const deals: FixtureDeal[] = [];
  for (let i = 0; i < count; i++) {
    let t = rand.chance(0.05) ? rand.pick(boundaries) : start + Math.floor(rand.float() * span);
    let stage = rand.chance(0.8) ? 0 : rand.int(0, openCount - 1);
    const events: [string, string][] = [[stages[stage].name, new Date(t).toISOString()]];
    for (let step = 0; step < 12; step++) {
      const r = rand.float();
      // Same instant, a boundary, or a plausible gap.
      t = rand.chance(0.08)
        ? t
        : rand.chance(0.03)
          ? Math.max(t, rand.pick(boundaries))
          : t + Math.floor(rand.lognormal(3 * 86_400_000, 1.2));
      const closedNow = stages[stage].kind !== 'open';
      if (closedNow) {
        if (!rand.chance(0.15)) break; // reopened now and then
        stage = rand.int(0, openCount - 1);
      } else if (r < 0.55) stage = Math.min(stage + 1, openCount);
      else if (r < 0.65) stage = Math.max(0, stage - 1);
      else if (r < 0.72) stage = Math.min(openCount - 1, stage + 2);
      else if (r < 0.9) stage = openCount + 1;
      else if (r < 0.95) stage = openCount;
      else break; // still open
      events.push([stages[stage].name, new Date(t).toISOString()]);
    }
    const owner = rand.chance(0.05) ? null : rand.pick(OWNERS);
    deals.push({
      key: `R${i}`,
      amount_minor: rand.chance(0.05) ? 0 : rand.int(1, 50_000_000) * (rand.chance(0.5) ? 100 : 1),
      segment: rand.chance(0.1) ? null : rand.pick(SEGMENTS),
      owner,
      channel: rand.chance(0.1) ? null : rand.pick(CHANNELS),
      region: rand.chance(0.1) ? null : rand.pick(REGIONS),
      // Shuffle: the loader and the engine must not depend on row order.
      events: events.sort(() => rand.float() - 0.5),
    });
  }
  return { stages, deals, start, span, boundaries };
}

let db: Db;
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db.close();
});

describe('the SQL engine equals the reference implementation', () => {
  for (const [n, zone] of ZONES.entries()) {
    it(`on ${zone}: random histories, periods, as-of, filters and breakdowns`, async () => {
      const gen = generate(1000 + n, zone, 1500);
      const fx: LoadedFixture = await loadFixture(db, {
        name: `Случай ${zone}`,
        timeZone: zone,
        stages: gen.stages,
        deals: gen.deals,
        teams: TEAMS,
      });
      const rand = new Rand(77 + n);
      const now = new Date(gen.start + gen.span + 30 * 86_400_000);
      let compared = 0;
      let liveCases = 0;
      for (let k = 0; k < 24; k++) {
        const fromMs = rand.chance(0.5) ? rand.pick(gen.boundaries) : gen.start + Math.floor(rand.float() * gen.span * 0.8);
        // The last cases end after all the data: "live" reports, read from the maintained counters.
        const live = k >= 18;
        const toMs = live
          ? gen.start + gen.span * 3
          : rand.chance(0.5)
            ? Math.min(...gen.boundaries.filter((b) => b > fromMs), fromMs + 40 * 86_400_000)
            : fromMs + Math.floor(rand.between(1, 120) * 86_400_000);
        const asOfChoice = live ? 0 : rand.int(0, 3);
        const asOfMs =
          asOfChoice === 0
            ? undefined
            : asOfChoice === 1
              ? toMs + Math.floor(rand.between(0, 60) * 86_400_000)
              : fromMs + Math.floor(rand.float() * (toMs - fromMs));
        const params: FunnelParams = { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() };
        if (asOfMs !== undefined) params.as_of = new Date(asOfMs).toISOString();
        const filters: RefQuery['filters'] = {};
        const filterKey = rand.pick<FilterKey | null>([null, null, 'segment', 'owner', 'channel', 'region', 'team']);
        const byChoice = rand.pick<Breakdown | null>([null, null, 'owner', 'segment', 'channel', 'region', 'team', 'month']);
        if (filterKey && filterKey !== byChoice) {
          const pool = { segment: SEGMENTS, owner: OWNERS, channel: CHANNELS, region: REGIONS, team: ['Север', 'Юг'] }[filterKey];
          const value = rand.chance(0.15) ? null : rand.pick(pool);
          params[filterKey] = value ?? 'none';
          const ids = fx.ref.deals;
          if (value === null) filters[filterKey] = null;
          else if (filterKey === 'region' || filterKey === 'team') filters[filterKey] = value;
          else {
            const deal = ids.find((_d, i) => gen.deals[i][filterKey] === value);
            filters[filterKey] = deal ? (deal[`${filterKey}_id` as 'segment_id'] as number) : -1;
            if (!deal) delete params[filterKey];
            if (!deal) delete filters[filterKey];
          }
        }
        if (byChoice) params.by = byChoice;
        const engine = await inWorkspace(db, fx.ws, async (tx) => funnelReport(tx, await resolveFunnelQuery(tx, fx.ws, params, now)));
        const e = engine as unknown as Record<string, any>;
        if (e.as_of === now.toISOString()) liveCases++;
        const asOf = new Date(e.as_of);
        const ref = referenceFunnel(fx.ref, { from: new Date(fromMs), to: new Date(toMs), asOf, timeZone: zone, filters, by: byChoice });
        const label = `case ${k}: ${JSON.stringify(params)}`;
        if (!byChoice) {
          expectKpisClose(kpisOf(e), ref.total, label);
        } else {
          expectKpisClose(kpisOf(e.total), ref.total, `${label} total`);
          const refGroups = ref.groups ?? [];
          expect(e.groups.length, `${label} groups`).toBe(refGroups.length);
          for (const g of e.groups as Record<string, any>[]) {
            const key = byChoice === 'month' || byChoice === 'region' || byChoice === 'team' ? g.key : g.key_id;
            const match = refGroups.find((r) => r.key === key);
            expect(match, `${label} group ${g.key}`).toBeDefined();
            expectKpisClose(kpisOf(g), match?.kpis, `${label} group ${g.key}`);
          }
        }
        compared++;
      }
      expect(compared).toBe(24);
      expect(liveCases).toBeGreaterThanOrEqual(6);
    });
  }
});
