import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/history/check-history.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { type ApiResponse, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

/**
 * Many HTTP clients writing the same deals at once, against the real server and
 * database: every write either lands (and is in the history / the audit log) or
 * is refused with 409; nothing is lost, nothing is half-written.
 */

let h: Harness;
let w: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Конкуренция');
});
afterAll(async () => {
  await h.close();
});

interface Write {
  deal: number;
  kind: 'move' | 'patch';
  /** The version the client read and sent; undefined for a move without one. */
  version?: number;
  stage_id?: number;
  amount_minor?: number;
  res: ApiResponse;
}

interface DealStart {
  id: number;
  version: number;
  stage_id: number;
  amount_minor: number;
  events: number;
}

async function createDeals(n: number, prefix: string, extra: (i: number) => Record<string, unknown> = () => ({})): Promise<DealStart[]> {
  const out: DealStart[] = [];
  for (let i = 0; i < n; i++) {
    const r = await w.api.post('/deals', { title: `${prefix} ${i}`, amount_minor: 100_00 * (i + 1), ...extra(i) });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    out.push({ id: r.body.id, version: r.body.version, stage_id: r.body.stage_id, amount_minor: r.body.amount_minor, events: 1 });
  }
  return out;
}

/** A stage other than `current`, spread over all kinds (open, won, lost) by `k`. */
function otherStage(current: number, k: number): number {
  const others = w.stages.filter((s) => s.id !== current);
  return others[k % others.length].id;
}

let amountSeq = 1;
async function move(deal: number, stage_id: number, version?: number): Promise<Write> {
  const res = await w.api.post(`/deals/${deal}/move`, version === undefined ? { stage_id } : { stage_id, version });
  return { deal, kind: 'move', version, stage_id, res };
}
async function patch(deal: number, version: number, extra: Record<string, unknown> = {}): Promise<Write> {
  const amount_minor = 1_000_000 + amountSeq++;
  const res = await w.api.patch(`/deals/${deal}`, { amount_minor, version, ...extra });
  return { deal, kind: 'patch', version, amount_minor, res };
}

const readDeal = async (id: number) => {
  const r = await w.api.get(`/deals/${id}`);
  expect(r.status).toBe(200);
  return r.body as { id: number; version: number; stage_id: number; amount_minor: number; segment_id: number | null };
};

/** Statuses a write may answer: never 500, never anything unexpected. */
function expectOnlyAllowedStatuses(writes: Write[]) {
  const bad = writes.filter((x) => {
    if (x.res.status === 200) return false;
    // A stale version is refused with 409 VERSION_CONFLICT.
    if (x.res.status === 409) return !(x.version !== undefined && x.res.body?.error?.code === 'VERSION_CONFLICT');
    // A move without version may find the deal already in the stage it asked for.
    if (x.res.status === 422) return !(x.kind === 'move' && x.version === undefined && x.res.body?.error?.code === 'INVALID_MOVE');
    return true;
  });
  expect(
    bad.map((x) => ({ kind: x.kind, deal: x.deal, version: x.version, status: x.res.status, body: x.res.body })),
    'unexpected answers',
  ).toEqual([]);
}

/**
 * For each deal, the successful writes — ordered by the version each one returned —
 * must be exactly the versions start+1 … now, the history must be exactly the
 * successful moves in that order, the cache must equal the last history entry,
 * the amount the last successful PATCH, and the audit log must hold every PATCH.
 */
async function expectEveryWriteAccountedFor(starts: DealStart[], writes: Write[]) {
  for (const start of starts) {
    const ok = writes.filter((x) => x.deal === start.id && x.res.status === 200);
    const versionOf = (x: Write): number => (x.kind === 'move' ? x.res.body.deal.version : x.res.body.version);
    ok.sort((a, b) => versionOf(a) - versionOf(b));
    // No two writes succeeded from the same version: versions are consecutive.
    expect(ok.map(versionOf), `deal ${start.id}: versions of the successful writes`).toEqual(ok.map((_, i) => start.version + 1 + i));
    for (const x of ok) {
      if (x.kind === 'move') expect(x.res.body.deal.stage_id).toBe(x.stage_id);
      else expect(x.res.body.amount_minor).toBe(x.amount_minor);
    }
    const moves = ok.filter((x) => x.kind === 'move');
    const patches = ok.filter((x) => x.kind === 'patch');

    const history = await h.db.query<{ id: number; stage_id: number; entered_at: Date }>(sql`
      select e.id, e.stage_id, e.entered_at from stage_events e join stages s on s.workspace_id = e.workspace_id and s.id = e.stage_id
       where e.workspace_id = ${w.ws} and e.deal_id = ${start.id} order by e.entered_at, s.position, e.id`);
    const added = history.slice(start.events);
    // Every 200 move is one new entry, in the order of the versions; no entry without a 200.
    expect(added.length, `deal ${start.id}: new history entries vs 200 moves`).toBe(moves.length);
    expect(added.map((e) => e.id)).toEqual(moves.map((x) => x.res.body.event_id));
    expect(added.map((e) => e.stage_id)).toEqual(moves.map((x) => x.stage_id));
    for (let i = 1; i < history.length; i++) expect(history[i].entered_at.getTime()).toBeGreaterThan(history[i - 1].entered_at.getTime());

    const [deal] = await h.db.query<{ stage_id: number; version: number; amount_minor: number; stage_entered_at: Date }>(
      sql`select stage_id, version, amount_minor, stage_entered_at from deals where workspace_id = ${w.ws} and id = ${start.id}`,
    );
    const last = history[history.length - 1];
    expect(deal.stage_id).toBe(last.stage_id);
    expect(deal.stage_entered_at).toEqual(last.entered_at);
    expect(deal.version).toBe(start.version + ok.length);
    expect(deal.amount_minor).toBe(patches.length > 0 ? patches[patches.length - 1].amount_minor : start.amount_minor);
    // The API shows the same.
    const api = await readDeal(start.id);
    expect(api).toMatchObject({ stage_id: deal.stage_id, version: deal.version, amount_minor: deal.amount_minor });
    const apiHistory = await w.api.get(`/deals/${start.id}/history`);
    expect(apiHistory.body.items.map((e: { id: number }) => e.id)).toEqual(history.map((e) => e.id));

    // Every successful PATCH wrote its audit row in the same transaction; no refused one did.
    const audit = await h.db.query<{ to: number }>(sql`
      select (changes -> 'amount_minor' ->> 'to')::int8 as to from audit_log
       where workspace_id = ${w.ws} and entity = 'deals' and entity_id = ${start.id} and action = 'update' order by id`);
    expect(audit.map((a) => a.to)).toEqual(patches.map((x) => x.amount_minor));
  }
  const check = await inWorkspace(h.db, w.ws, (tx) => checkHistory(tx, w.ws));
  expect(check.filter((c) => c.problems > 0)).toEqual([]);
}

describe('50 clients writing the same deals at once', () => {
  it('every move lands in the history or is refused with 409; exactly one write per version wins; nothing is lost', async () => {
    const DEALS = 5;
    const CLIENTS = 50;
    const ROUNDS = 6;
    const starts = await createDeals(DEALS, 'Общая');
    const writes: Write[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Every client reads its deal, then all write at once with what they read.
      const read = await Promise.all(Array.from({ length: CLIENTS }, (_, c) => readDeal(starts[c % DEALS].id)));
      const mixed = round % 2 === 1;
      const roundWrites = await Promise.all(
        read.map((d, c) => {
          // Client c writes deal c % DEALS; each deal gets every kind of write.
          const kind = Math.floor(c / DEALS) % 5;
          if (kind === 0 || kind === 1) return patch(d.id, d.version);
          // Odd rounds: some moves carry no version (last writer wins, serialised by the row lock).
          if (mixed && kind === 4) return move(d.id, otherStage(d.stage_id, c + round));
          return move(d.id, otherStage(d.stage_id, c + round), d.version);
        }),
      );
      expectOnlyAllowedStatuses(roundWrites);
      for (const start of starts) {
        const mine = roundWrites.filter((x) => x.deal === start.id);
        const versioned = mine.filter((x) => x.version !== undefined);
        const won = versioned.filter((x) => x.res.status === 200);
        if (!mixed) {
          // All read the same version and nobody else wrote: exactly one wins, the rest get 409.
          expect(won.length, `round ${round}, deal ${start.id}: versioned winners`).toBe(1);
          expect(versioned.filter((x) => x.res.status === 409).length).toBe(versioned.length - 1);
        } else {
          // A move without version may land first and make every versioned write stale.
          expect(won.length, `round ${round}, deal ${start.id}: versioned winners`).toBeLessThanOrEqual(1);
          const unversioned = mine.filter((x) => x.version === undefined);
          expect(unversioned.filter((x) => x.res.status === 200).length).toBeGreaterThan(0);
        }
      }
      writes.push(...roundWrites);
    }
    expect(writes).toHaveLength(CLIENTS * ROUNDS);
    expect(writes.filter((x) => x.res.status === 409).length).toBeGreaterThan(0);
    await expectEveryWriteAccountedFor(starts, writes);
  });

  it('clients writing different deals at the same time never get a 409', async () => {
    const CLIENTS = 50;
    const ROUNDS = 4;
    // Two segments: the funnel counters are kept per segment, and PATCHes move deals between them,
    // so concurrent transactions touch the same counter rows from both sides.
    const segs: number[] = [];
    for (const name of ['Enterprise', 'SMB']) {
      const r = await w.api.post('/segments', { name });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      segs.push(r.body.id);
    }
    const starts = await createDeals(CLIENTS, 'Своя', (i) => ({ segment_id: segs[Math.floor(i / 4) % 2] }));
    const writes: Write[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const read = await Promise.all(starts.map((s) => readDeal(s.id)));
      const roundWrites = await Promise.all(
        read.map((d, c) => {
          const k = (c + round) % 4;
          if (k === 0) return patch(d.id, d.version, { segment_id: d.segment_id === segs[0] ? segs[1] : segs[0] });
          if (k === 1) return move(d.id, otherStage(d.stage_id, c + round));
          return move(d.id, otherStage(d.stage_id, c + round), d.version);
        }),
      );
      const refused = roundWrites.filter((x) => x.res.status !== 200);
      expect(
        refused.map((x) => ({ kind: x.kind, deal: x.deal, status: x.res.status, body: x.res.body })),
        `round ${round}: refused writes`,
      ).toEqual([]);
      writes.push(...roundWrites);
    }
    await expectEveryWriteAccountedFor(starts, writes);
  });
});
