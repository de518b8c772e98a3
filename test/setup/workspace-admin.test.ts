/**
 * `bin/voronka workspace rename | delete | export` (issue 17): a bundle exported from a workspace
 * imports back into another as the same deals, amounts and history; delete removes every row of
 * the workspace in every table (also where a lead and its deal name each other, and the
 * append-only history) in one transaction and nothing of another workspace, and wants the name
 * repeated; rename keeps the id and refuses a name in use.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../../src/imports/bundle-import.ts';
import { findWorkspace } from '../../src/platform/workspaces.ts';
import { deleteWorkspace, exportWorkspaceBundle, renameWorkspace } from '../../src/setup/workspace-admin.ts';
import { BUNDLE_PIPELINE, dealRow, writeBundle } from '../support/bundle.ts';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let keep: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness();
  keep = await seedWorkspace(h, 'Соседи');
  await keep.api.post('/deals', { title: 'Чужая сделка', amount_minor: 100 });
});
afterAll(async () => {
  await h?.close();
});

const ws = async (name: string) => {
  const w = await findWorkspace(h.db, name);
  if (!w) throw new Error(`no ${name}`);
  return w;
};
/** Every deal with its whole history, as comparable text. */
async function history(workspace: number) {
  return (
    await h.db.query<{ line: string }>(sql`
      select coalesce(d.external_id, d.id::text) || ' | ' || d.title || ' | ' || coalesce(c.name, '') || ' | ' || coalesce(u.name, '') || ' | ' ||
             d.amount_minor || ' | ' || d.status || ' | ' ||
             (select string_agg(s.name || '@' || to_char(e.entered_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'), ' > ' order by e.entered_at, e.id)
                from stage_events e join stages s on s.id = e.stage_id where e.deal_id = d.id) as line
        from deals d left join companies c on c.id = d.company_id left join users u on u.id = d.owner_id
       where d.workspace_id = ${workspace} order by 1`)
  ).map((r) => r.line);
}

describe('workspace export', () => {
  it('writes a bundle that imports back as the same deals and history', async () => {
    const src = writeBundle({
      deals: [
        dealRow('A1', { amount: '1500.50' }),
        dealRow('A2', { owner: 'Анна Смирнова', amount: '0', title: 'Поставка, "срочно"' }),
        dealRow('A3'),
      ],
      events: [
        ['A1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
        ['A1', 'Квалификация', '2025-01-12T10:00:00+03:00'],
        ['A1', 'Успешно реализовано', '2025-01-20T15:30:00+03:00'],
        ['A2', 'Новый лид', '2025-01-11T09:00:00+03:00'],
        ['A2', 'Закрыто и не реализовано', '2025-02-01T12:00:00+03:00'],
        ['A3', 'Новый лид', '2025-01-15T10:00:00+03:00'],
      ],
    });
    await importBundle(h.db, src, { workspace: 'Источник', now: h.clock.now() });
    const from = await ws('Источник');
    const out = mkdtempSync(join(tmpdir(), 'voronka-export-'));
    const r = await exportWorkspaceBundle(h.db, from, out);
    expect(r).toEqual({ pipeline: 'Продажи', deals: 3, stage_entries: 6 });
    expect(JSON.parse(readFileSync(join(out, 'pipeline.json'), 'utf8'))).toEqual(BUNDLE_PIPELINE);
    expect(readFileSync(join(out, 'deals.csv'), 'utf8').split('\n').slice(0, 3)).toEqual([
      'deal_id,title,company,owner,segment,channel,region,amount,created_at',
      'A1,Сделка A1,ООО «Альфа»,Иван Петров,SMB,Сайт,Москва,1500.5,2025-01-10T07:00:00.000Z',
      'A2,"Поставка, ""срочно""",ООО «Альфа»,Анна Смирнова,SMB,Сайт,Москва,0,2025-01-11T06:00:00.000Z',
    ]);
    const back = await importBundle(h.db, out, { workspace: 'Копия', now: h.clock.now() });
    expect(back).toMatchObject({ workspace_created: true, deals_created: 3, stage_entries_added: 6 });
    expect(await history((await ws('Копия')).workspace_id)).toEqual(await history(from.workspace_id));
    expect((await history(from.workspace_id))[0]).toBe(
      'A1 | Сделка A1 | ООО «Альфа» | Иван Петров | 150050 | won | Новый лид@2025-01-10 07:00:00 > Квалификация@2025-01-12 07:00:00 > Успешно реализовано@2025-01-20 12:30:00',
    );
  });
});

describe('workspace rename and delete', () => {
  it('renames keeping the id, and refuses a name in use', async () => {
    const w = await seedWorkspace(h, 'Старое имя');
    await renameWorkspace(h.db, await ws('Старое имя'), '  Новое имя ');
    expect((await ws('новое имя')).workspace_id).toBe(w.ws);
    await expect(renameWorkspace(h.db, await ws('Новое имя'), 'соседи')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('deletes every row of the workspace and nothing else, once its name is repeated', async () => {
    const w = await seedWorkspace(h, 'Удаляемое');
    const company = (await w.api.post('/companies', { name: 'ООО Ромашка' })).body.id;
    const lead = (await w.api.post('/leads', { title: 'Заявка', company_id: company })).body;
    const deal = (await w.api.post('/deals', { title: 'Сделка', company_id: company, amount_minor: 500 })).body;
    // A lead and its deal name each other: a cycle of references the delete must cut.
    await h.db.query(sql`update deals set lead_id = ${lead.id} where id = ${deal.id}`);
    await h.db.query(sql`update leads set deal_id = ${deal.id} where id = ${lead.id}`);
    await w.api.post(`/deals/${deal.id}/move`, { stage_id: w.stages[1].id });
    await w.api.post('/tasks', { title: 'Позвонить', deal_id: deal.id, due_at: '2026-01-10T10:00:00Z' });

    const before = await h.db.query<{ n: number }>(sql`select count(*)::int as n from deals where workspace_id = ${keep.ws}`);
    await expect(deleteWorkspace(h.db, await ws('Удаляемое'), 'Удаляемо')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await findWorkspace(h.db, 'Удаляемое')).not.toBeNull();

    const removed = await deleteWorkspace(h.db, await ws('Удаляемое'), 'удаляемое');
    expect(removed).toMatchObject({ deals: 1, leads: 1, companies: 1, stage_events: 2, users: 1, pipelines: 1 });
    expect(await findWorkspace(h.db, 'Удаляемое')).toBeNull();
    const left = await h.db.query<{ t: string; n: number }>(`
      select c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = current_schema() and c.relkind = 'r'
         and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'workspace_id')`);
    for (const { t } of left) {
      const [n] = await h.db.query<{ n: number }>(`select count(*)::int as n from ${t} where workspace_id = $1`, [w.ws]);
      expect(n.n, t).toBe(0);
    }
    expect(await h.db.query<{ n: number }>(sql`select count(*)::int as n from deals where workspace_id = ${keep.ws}`)).toEqual(before);
  });
});
