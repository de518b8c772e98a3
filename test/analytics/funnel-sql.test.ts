import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunnelParams, resolveFunnelQuery } from '../../src/analytics/funnel-query.ts';
import { funnelReport } from '../../src/analytics/funnel-report.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { type FixtureDeal, type LoadedFixture, loadFixture } from '../support/funnel-data.ts';
import { openTestDb } from '../support/test-db.ts';

/**
 * The SQL the funnel report generates, snapshotted per request under __snapshots__/funnel-sql/,
 * so that a change to it shows in review. Both engines compare against the same files: the
 * statements are the same on PGlite and on a server (only the session settings before them
 * differ, and they are not statements of the report).
 */

const STAGES = [
  { name: 'Новый лид', kind: 'open' as const },
  { name: 'Демо', kind: 'open' as const },
  { name: 'Успешно', kind: 'won' as const },
  { name: 'Не реализовано', kind: 'lost' as const },
];
const at = (day: string) => `2025-01-${day}T09:00:00Z`;
const DEALS: FixtureDeal[] = [
  {
    key: 'won_in_january',
    amount_minor: 100_000_00,
    segment: 'SMB',
    owner: 'Иван',
    events: [
      ['Новый лид', at('03')],
      ['Демо', at('08')],
      ['Успешно', at('20')],
    ],
  },
  {
    key: 'lost_at_demo',
    amount_minor: 50_000_00,
    segment: 'Enterprise',
    owner: 'Мария',
    events: [
      ['Новый лид', at('05')],
      ['Демо', at('10')],
      ['Не реализовано', at('25')],
    ],
  },
  {
    key: 'still_open_at_demo',
    amount_minor: 70_000_00,
    segment: 'SMB',
    owner: 'Мария',
    events: [
      ['Новый лид', at('12')],
      ['Демо', at('18')],
    ],
  },
];

const JANUARY = { from: '2025-01-01', to: '2025-02-01' };
const REQUESTS: Record<string, FunnelParams> = {
  plain: JANUARY,
  by_owner: { ...JANUARY, by: 'owner' },
  segment_filter: { ...JANUARY, segment: 'SMB' },
  as_of_past: { ...JANUARY, as_of: '2025-01-15' },
  as_of_past_by_month: { from: '2024-12-01', to: '2025-02-01', as_of: '2025-01-15', by: 'month' },
};

let db: Db;
let fx: LoadedFixture;
const NOW = new Date('2025-06-01T00:00:00Z');
beforeAll(async () => {
  db = await openTestDb();
  fx = await loadFixture(db, { name: 'SQL', timeZone: 'Europe/Moscow', stages: STAGES, deals: DEALS });
});
afterAll(async () => {
  await db.close();
});

const param = (v: unknown) => JSON.stringify(v instanceof Date ? v.toISOString() : v);
/** A statement as written in the code, without the code's indentation. */
function dedent(text: string): string {
  const lines = text.split('\n').filter((l, i) => i > 0 || l.trim());
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent).trimEnd()).join('\n');
}

describe('the funnel report SQL', () => {
  for (const [name, params] of Object.entries(REQUESTS)) {
    it(`${name}: the statements, and explaining them changes nothing in the report`, async () => {
      const { plain, explained, live } = await inWorkspace(db, fx.ws, async (tx) => {
        const q = await resolveFunnelQuery(tx, fx.ws, params, NOW);
        return { plain: await funnelReport(tx, q), explained: await funnelReport(tx, q, { explain: true }), live: q.live };
      });
      // The fixture ends in January: a past as-of sees entries after it, the others do not.
      expect(live).toBe(!params.as_of);
      const { explain, ...report } = explained;
      expect(plain).not.toHaveProperty('explain');
      expect(report).toEqual(plain);
      expect(JSON.stringify(report)).toBe(JSON.stringify(plain));
      if (!explain) throw new Error('no explain');
      expect(explain.engine).toBe(db.engine);
      for (const s of explain.statements) {
        expect(s.ms).toBeGreaterThanOrEqual(0);
        expect(Number.isInteger(s.rows)).toBe(true);
      }
      expect(explain.total_ms).toBeGreaterThanOrEqual(explain.statements.reduce((sum, s) => sum + s.ms, 0) - 0.1);
      const text = [
        `-- ${name}: ${JSON.stringify(params)}`,
        ...explain.statements.map(
          (s, i) => `\n-- ${i + 1}. ${s.name}\n${dedent(s.sql)};\n-- params: ${s.params.length ? s.params.map(param).join(', ') : 'none'}`,
        ),
        '',
      ].join('\n');
      await expect(text).toMatchFileSnapshot(`./__snapshots__/funnel-sql/${name}.sql`);
    });
  }
});
