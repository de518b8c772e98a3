/**
 * The deal card's statement as the app runs it — as `voronka_app`, under row-level security — reads
 * every referenced row by its index. Under RLS a condition whose value is cast in place (not
 * leakproof) cannot use an index: the names behind an edit's ids were each a scan of the whole
 * table, which the planner priced so high that PostgreSQL compiled the statement (JIT) on every
 * uncached card (60–200 ms on the load bench's demo, against 4 ms now). It guards on PostgreSQL:
 * PGlite's planner (PostgreSQL 17) found the index for the old statement as well.
 */
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dealCardSql } from '../../src/crm/cards.ts';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let deal: number;

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'План карточки');
  const company = (await w.api.post('/companies', { name: 'ООО «Ромашка»' })).body.id;
  const other = (await w.api.post('/companies', { name: 'ООО «Василёк»' })).body.id;
  const d = await w.api.post('/deals', { title: 'Поставка', amount_minor: 100_00, company_id: company });
  expect(d.status).toBe(201);
  deal = d.body.id;
  // An edit of a reference: the card's history shows the names behind both ids.
  expect((await w.api.patch(`/deals/${deal}`, { version: d.body.version, company_id: other })).status).toBe(200);
  // Enough companies that reading them all is dear, and the planner knows it.
  await h.db.query(sql`insert into companies (workspace_id, name) select ${w.ws}, 'Компания ' || g from generate_series(1, 5000) g`);
  await h.db.exec('analyze companies');
});
afterAll(async () => {
  await h.close();
});

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Cond'?: string; Plans?: PlanNode[] };
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

describe('the deal card statement under row-level security', () => {
  it('finds each company it names by its key, not by reading them all', async () => {
    const card = dealCardSql(w.ws, deal, null).card(true);
    const plan = await h.db.transaction(async (tx) => {
      // As the app's statements run: the workspace's scope and the role that RLS applies to.
      await tx.query(sql`select set_config('voronka.workspace_id', ${String(w.ws)}, true), set_config('role', 'voronka_app', true)`);
      const [row] = await tx.query<{ 'QUERY PLAN': unknown }>(sql`explain (format json) ${card}`);
      const doc = row['QUERY PLAN'];
      return (typeof doc === 'string' ? JSON.parse(doc) : doc) as { Plan: PlanNode }[];
    });
    // The deal's own company, and the company before and after the edit (each a lookup by id).
    const companies = nodes(plan[0].Plan).filter((n) => n['Relation Name'] === 'companies');
    expect(companies.length).toBeGreaterThanOrEqual(3);
    for (const n of companies) expect(`${n['Node Type']}: ${n['Index Cond'] ?? 'no index condition'}`).toMatch(/Index.*\bid = /);
    // And the statement answers: the edit with the names behind its ids.
    const got = await w.api.get(`/deals/${deal}/card`);
    expect(got.status).toBe(200);
    const edit = got.body.timeline.find((t: { kind: string }) => t.kind === 'edit');
    expect(edit.changes).toEqual([expect.objectContaining({ field: 'company_id', from_name: 'ООО «Ромашка»', to_name: 'ООО «Василёк»' })]);
  });
});
