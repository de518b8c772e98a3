/**
 * Editing from the cards (issue 16): a stale edit's 409 names who changed what since the caller's
 * version (from the audit log), the card's history shows from → to with the names behind ids,
 * notes are activities of their own type.
 */
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/platform/auth/auth-service.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { type ApiClient, apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;
let anna: ApiClient;
let annaId: number;
let ivanId: number;

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Карточки');
  const now = h.ctx.clock.now();
  annaId = await addUser(
    h.db,
    w.ws,
    { name: 'Анна Смирнова', email: `anna@${w.ws}.test`, role: 'head_of_sales', password: 'correct horse battery' },
    now,
  );
  ivanId = await addUser(
    h.db,
    w.ws,
    { name: 'Иван Петров', email: `ivan@${w.ws}.test`, role: 'manager', password: 'correct horse battery' },
    now,
  );
  anna = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: w.ws, userId: annaId }, { name: 't' })).token);
});
afterAll(async () => {
  await h.close();
});

describe('a stale edit says who changed what', () => {
  it('a deal: 409 with the amount and the owner changed by Анна since version 1, names behind the ids', async () => {
    const d = await w.api.post('/deals', { title: 'Поставка', amount_minor: 100_000_000 });
    expect(d.status).toBe(201);
    h.clock.advance(60_000);
    const a = await anna.patch(`/deals/${d.body.id}`, { version: 1, amount_minor: 120_000_000, owner_id: ivanId });
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.body.version).toBe(2);
    const stale = await w.api.patch(`/deals/${d.body.id}`, { version: 1, amount_minor: 90_000_000 }, { 'accept-language': 'ru' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('VERSION_CONFLICT');
    expect(stale.body.error.current_version).toBe(2);
    expect(stale.body.error.your_version).toBe(1);
    expect(stale.body.error.changes).toEqual([
      {
        at: '2025-03-03T09:01:00.000Z',
        user_id: annaId,
        user: 'Анна Смирнова',
        action: 'update',
        version: 2,
        field: 'amount_minor',
        from: 100_000_000,
        to: 120_000_000,
      },
      {
        at: '2025-03-03T09:01:00.000Z',
        user_id: annaId,
        user: 'Анна Смирнова',
        action: 'update',
        version: 2,
        field: 'owner_id',
        from: w.adminId,
        to: ivanId,
        from_name: 'Админ',
        to_name: 'Иван Петров',
      },
    ]);
    // Nothing was written by the stale edit.
    const [row] = await h.db.query<{ amount_minor: number; version: number }>(
      sql`select amount_minor, version from deals where workspace_id = ${w.ws} and id = ${d.body.id}`,
    );
    expect(row).toEqual({ amount_minor: 120_000_000, version: 2 });
  });

  it('only the changes after the caller’s version: two edits later, version 2 hears of the third only', async () => {
    const c = await w.api.post('/companies', { name: 'ООО Ромашка' });
    await anna.patch(`/companies/${c.body.id}`, { version: 1, city: 'Казань' });
    await anna.patch(`/companies/${c.body.id}`, { version: 2, city: 'Самара', custom: {} });
    const stale = await w.api.patch(`/companies/${c.body.id}`, { version: 2, phone: '+7 900' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.changes.map((x: { field: string; from: unknown; to: unknown }) => [x.field, x.from, x.to])).toEqual([
      ['city', 'Казань', 'Самара'],
    ]);
  });

  it('a deal moved since: the move is named as a change of the stage, from → to by name', async () => {
    const d = await w.api.post('/deals', { title: 'Движение', amount_minor: 5_000_000 });
    h.clock.advance(60_000);
    const moved = await anna.post(`/deals/${d.body.id}/move`, { stage_id: w.stage('Квалификация').id, version: 1 });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const stale = await w.api.patch(`/deals/${d.body.id}`, { version: 1, amount_minor: 6_000_000 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.changes).toEqual([
      {
        at: h.clock.now().toISOString(),
        user_id: annaId,
        user: 'Анна Смирнова',
        action: 'update',
        version: null,
        field: 'stage_id',
        from: w.stage('Новый лид').id,
        to: w.stage('Квалификация').id,
        from_name: 'Новый лид',
        to_name: 'Квалификация',
      },
    ]);
  });

  it('the deal card’s history shows from → to and the names behind a reference', async () => {
    const d = await w.api.post('/deals', { title: 'История', amount_minor: 100_000_000 });
    await anna.patch(`/deals/${d.body.id}`, { version: 1, amount_minor: 120_000_000, owner_id: ivanId });
    const card = await w.api.get(`/deals/${d.body.id}/card`);
    expect(card.status).toBe(200);
    const edits = card.body.timeline.filter((t: { kind: string }) => t.kind === 'edit');
    expect(edits).toEqual([
      {
        kind: 'edit',
        at: h.clock.now().toISOString(),
        title: 'amount_minor,owner_id',
        detail: null,
        user: 'Анна Смирнова',
        action: 'update',
        changes: [
          { field: 'amount_minor', from: 100_000_000, to: 120_000_000, from_name: null, to_name: null },
          { field: 'owner_id', from: w.adminId, to: ivanId, from_name: 'Админ', to_name: 'Иван Петров' },
        ],
      },
    ]);
  });
});

describe('notes', () => {
  it('a note on a company is an activity of type note on its card’s timeline, text with a mention kept as typed', async () => {
    const c = await w.api.post('/companies', { name: 'ООО Заметки' });
    const n = await w.api.post('/activities', {
      type: 'note',
      company_id: c.body.id,
      at: '2025-03-03T09:05:00Z',
      notes: 'Перезвонить после праздников, @Анна Смирнова в курсе',
    });
    expect(n.status, JSON.stringify(n.body)).toBe(201);
    expect(n.body.type).toBe('note');
    expect(n.body.owner_id).toBe(w.adminId);
    const card = await w.api.get(`/companies/${c.body.id}/card`);
    expect(card.body.timeline.filter((t: { kind: string }) => t.kind === 'activity')).toEqual([
      {
        kind: 'activity',
        at: '2025-03-03T09:05:00.000Z',
        title: 'note',
        detail: 'Перезвонить после праздников, @Анна Смирнова в курсе',
        user: 'Админ',
      },
    ]);
  });

  it('a note without text or with an outcome is refused naming the field', async () => {
    const empty = await w.api.post('/activities', { type: 'note', at: '2025-03-03T09:05:00Z', notes: '  ' }, { 'accept-language': 'ru' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.fields).toEqual([{ field: 'notes', code: 'required', message: 'напишите текст заметки' }]);
    const outcome = await w.api.post('/activities', { type: 'note', at: '2025-03-03T09:05:00Z', notes: 'x', outcome: 'held' });
    expect(outcome.status).toBe(400);
    expect(outcome.body.error.fields[0].field).toBe('outcome');
  });
});

describe('owner and links from a card', () => {
  it('a manager may not hand a company to someone else (403), the head of sales may', async () => {
    const ivan = apiClient(h.url, (await createApiToken(h.ctx, { workspaceId: w.ws, userId: ivanId }, { name: 'i' })).token);
    const c = await ivan.post('/companies', { name: 'ООО Иван', owner_id: ivanId });
    expect(c.body.owner_id).toBe(ivanId);
    const refused = await ivan.patch(`/companies/${c.body.id}`, { version: 1, owner_id: annaId });
    expect(refused.status).toBe(403);
    const ok = await anna.patch(`/companies/${c.body.id}`, { version: 1, owner_id: annaId });
    expect(ok.status).toBe(200);
    expect(ok.body.owner_id).toBe(annaId);
  });

  it('a contact linked to a company shows on its card and unlinked leaves it', async () => {
    const c = await w.api.post('/companies', { name: 'ООО Связи' });
    const p = await w.api.post('/contacts', { name: 'Олег Связной' });
    const linked = await w.api.patch(`/contacts/${p.body.id}`, { version: 1, company_id: c.body.id });
    expect(linked.status).toBe(200);
    const card = await w.api.get(`/companies/${c.body.id}/card`);
    expect(card.body.related).toEqual([{ kind: 'contact', id: p.body.id, title: 'Олег Связной', detail: null }]);
    await w.api.patch(`/contacts/${p.body.id}`, { version: 2, company_id: null });
    expect((await w.api.get(`/companies/${c.body.id}/card`)).body.related).toEqual([]);
  });
});
