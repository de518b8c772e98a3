import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

/**
 * The standard's new rules reach every path that writes a deal, not only the screen that set them:
 * the move and bulk routes take a loss reason, a deal is not created on an archived stage, the card
 * offers no archived stage, a multiple choice with nothing ticked does not satisfy a requirement,
 * and the config document carries a stage's archiving.
 */
let h: Harness;
let w: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Стандарт везде');
});
afterAll(async () => {
  await h.close();
});

const fieldOf = (r: { body: { error: { fields?: { field: string; code?: string }[] } } }) => r.body.error.fields?.[0];
const lost = () => w.stage('Закрыто и не реализовано').id;

describe('the standard on every path', () => {
  it('the move and the bulk routes take a loss reason and keep it on the entry', async () => {
    const reason = await w.api.post('/loss-reasons', { name_ru: 'Цена', name_en: 'Price' });
    expect(reason.status).toBe(201);
    const one = await w.api.post('/deals', { title: 'Одна', stage_id: w.stage('Новый лид').id });
    const without = await w.api.post(`/deals/${one.body.id}/move`, { stage_id: lost() });
    expect(without.status).toBe(422);
    expect(fieldOf(without)).toMatchObject({ field: 'loss_reason_id', code: 'required' });
    const moved = await w.api.post(`/deals/${one.body.id}/move`, { stage_id: lost(), loss_reason_id: reason.body.id });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const [entry] = await h.db.query(
      sql`select loss_reason_id from stage_events where workspace_id = ${w.ws} and id = ${moved.body.event_id}`,
    );
    expect(entry).toEqual({ loss_reason_id: reason.body.id });

    const a = await w.api.post('/deals', { title: 'Пакет А', stage_id: w.stage('Новый лид').id });
    const b = await w.api.post('/deals', { title: 'Пакет Б', stage_id: w.stage('Новый лид').id });
    const ids = [a.body.id, b.body.id];
    const refused = await w.api.post('/deals/bulk', { ids, set: { stage_id: lost() } });
    expect(refused.status).toBe(422);
    const bulk = await w.api.post('/deals/bulk', { ids, set: { stage_id: lost() }, loss_reason_id: reason.body.id });
    expect(bulk.status, JSON.stringify(bulk.body)).toBe(200);
    const entries = await h.db.query<{ deal_id: number; loss_reason_id: number }>(
      sql`select deal_id, loss_reason_id from stage_events
           where workspace_id = ${w.ws} and deal_id = any(${ids}::int8[]) and stage_id = ${lost()} order by deal_id`,
    );
    expect(entries.map((e) => Number(e.loss_reason_id))).toEqual([reason.body.id, reason.body.id]);
    await w.api.patch(`/loss-reasons/${reason.body.id}`, { version: reason.body.version, active: false });
  });

  it('an archived stage is no place to create a deal, and the card offers it to no one but its own deals', async () => {
    const pipe = await w.api.post('/pipelines', {
      name: 'С архивом',
      stages: [
        { name: 'Первый', kind: 'open' },
        { name: 'Старый', kind: 'open' },
        { name: 'Новый', kind: 'open' },
        { name: 'Успех', kind: 'won' },
        { name: 'Отказ', kind: 'lost' },
      ],
    });
    expect(pipe.status).toBe(201);
    const st = (n: string) => pipe.body.stages.find((s: { name: string }) => s.name === n);
    const stay = await w.api.post('/deals', { title: 'Была на старом', pipeline_id: pipe.body.id, stage_id: st('Старый').id });
    expect(stay.status).toBe(201);
    // Archived with its open deal moved on: an archived first stage would be no default either.
    const first = await w.api.post('/deals', { title: 'На первом', pipeline_id: pipe.body.id });
    expect(first.body.stage_id).toBe(st('Первый').id);
    const archived = await w.api.post(`/stages/${st('Старый').id}/archive`, {
      version: st('Старый').version,
      move_open_to: st('Новый').id,
    });
    expect(archived.status, JSON.stringify(archived.body)).toBe(200);

    const onArchived = await w.api.post(
      '/deals',
      { title: 'В архив', pipeline_id: pipe.body.id, stage_id: st('Старый').id },
      { 'accept-language': 'ru' },
    );
    expect(onArchived.status).toBe(400);
    expect(fieldOf(onArchived)).toMatchObject({ field: 'stage_id', code: 'archived' });
    expect(onArchived.body.error.fields[0].message).toBe('этап «Старый» в архиве');

    const card = await w.api.get(`/deals/${first.body.id}/card`);
    expect(card.body.pipeline.stages.map((s: { name: string }) => s.name)).toEqual(['Первый', 'Новый', 'Успех', 'Отказ']);
    expect(card.body.requirements.next_stage).toBe('Новый');

    // The deal that had been on it before is on «Новый» now; its history still names «Старый».
    const moved = await w.api.get(`/deals/${stay.body.id}/history`);
    expect(moved.body.items.map((e: { stage_name: string }) => e.stage_name)).toEqual(['Старый', 'Новый']);
  });

  it('a multiple choice with nothing ticked leaves a requirement unmet; one ticked meets it', async () => {
    const field = await w.api.post('/custom-fields', {
      object_type: 'deal',
      key: 'products',
      type: 'multi_choice',
      label_ru: 'Продукты',
      label_en: 'Products',
      choices: [
        { value: 'crm', label_ru: 'CRM', label_en: 'CRM' },
        { value: 'bi', label_ru: 'BI', label_en: 'BI' },
      ],
    });
    expect(field.status, JSON.stringify(field.body)).toBe(201);
    const req = await w.api.post('/stage-requirements', { stage_id: w.stage('Встреча').id, field: 'custom.products' });
    expect(req.status).toBe(201);
    const deal = await w.api.post('/deals', { title: 'Продукты', stage_id: w.stage('Квалификация').id, custom: { products: [] } });
    expect(deal.status, JSON.stringify(deal.body)).toBe(201);
    const card = await w.api.get(`/deals/${deal.body.id}/card`);
    expect(card.body.requirements.next).toEqual([expect.objectContaining({ field: 'custom.products', filled: false })]);
    const refused = await w.api.post(`/deals/${deal.body.id}/move`, { stage_id: w.stage('Встреча').id });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('STAGE_REQUIREMENTS_MISSING');
    const ok = await w.api.post(`/deals/${deal.body.id}/move`, { stage_id: w.stage('Встреча').id, set: { custom: { products: ['bi'] } } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    await w.api.raw(`/stage-requirements/${req.body.id}?version=${req.body.version}`, { method: 'DELETE' });
  });

  it('the config document says a stage is archived, a self-import keeps it so, and archiving one with open deals is refused', async () => {
    const doc = (await w.api.get('/config')).body;
    const pipe = doc.pipelines.find((p: { name: string }) => p.name === 'С архивом');
    expect(pipe.stages.map((s: { name: string; archived?: boolean }) => [s.name, s.archived ?? false])).toEqual([
      ['Первый', false],
      ['Старый', true],
      ['Новый', false],
      ['Успех', false],
      ['Отказ', false],
    ]);
    const put = (body: unknown) =>
      w.api.raw('/config', {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'accept-language': 'ru' },
        body: JSON.stringify(body),
      });
    const self = await put(doc);
    expect(self.status, JSON.stringify(self.body)).toBe(200);
    expect((await w.api.get('/config')).body).toEqual(doc);

    // «Первый» holds an open deal: the document cannot archive it (the screen moves its deals).
    const archiveFirst = structuredClone(doc);
    archiveFirst.pipelines.find((p: { name: string }) => p.name === 'С архивом').stages[0].archived = true;
    const refused = await put(archiveFirst);
    expect(refused.status).toBe(400);
    const i = doc.pipelines.findIndex((p: { name: string }) => p.name === 'С архивом');
    expect(fieldOf(refused)).toMatchObject({ field: `pipelines.${i}.stages.0.archived`, code: 'has_open_deals' });
    // Only archived stages of a kind are not enough: the stages in use must still close both ways.
    const noWon = structuredClone(doc);
    noWon.pipelines[i].stages[3].archived = true;
    const refusedKind = await put(noWon);
    expect(refusedKind.status).toBe(400);
    expect(fieldOf(refusedKind)).toMatchObject({ field: `pipelines.${i}.stages` });
    expect((await w.api.get('/config')).body).toEqual(doc);

    // A document without the flag brings the stage back into use.
    const restore = structuredClone(doc);
    delete restore.pipelines[i].stages[1].archived;
    expect((await put(restore)).status).toBe(200);
    const [row] = await h.db.query<{ archived: boolean }>(
      sql`select archived_at is not null as archived from stages where workspace_id = ${w.ws} and name = 'Старый'`,
    );
    expect(row.archived).toBe(false);
  });
});
