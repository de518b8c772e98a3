import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

// The deal card keeps its pipeline's configuration (stages, requirements, blocks and fields) like
// the reports: here with the cache on, as in production. Any write in the workspace must show on
// the next card, and the requirements must still be those of the deal's own segment.
let h: Harness;
let w: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness({ config: { reportCacheMs: 30_000 } });
  w = await seedWorkspace(h);
});
afterAll(async () => {
  await h.close();
});

describe('the deal card with its configuration cached', () => {
  it('shows every configuration change made through the API on the very next card', async () => {
    const ent = await w.api.post('/segments', { name: 'Enterprise' });
    const smb = await w.api.post('/segments', { name: 'SMB' });
    const big = await w.api.post('/deals', { title: 'Крупная', amount_minor: 100_00, segment_id: ent.body.id });
    const small = await w.api.post('/deals', { title: 'Малая', amount_minor: 100_00, segment_id: smb.body.id });
    expect([big.status, small.status]).toEqual([201, 201]);
    const card = async (id: number) => {
      const res = await w.api.get(`/deals/${id}/card`);
      expect(res.status).toBe(200);
      return res.body;
    };
    const first = await card(big.body.id);
    expect(first.requirements.next).toEqual([]);
    expect(first.blocks).toEqual([]);
    await card(small.body.id);

    // A requirement of the next stage for Enterprise only.
    const next = w.stage('Квалификация');
    expect((await w.api.post('/stage-requirements', { stage_id: next.id, field: 'region', segment_ids: [ent.body.id] })).status).toBe(201);
    expect((await card(big.body.id)).requirements.next).toEqual([expect.objectContaining({ field: 'region', filled: false })]);
    expect((await card(small.body.id)).requirements.next).toEqual([]);

    // A custom field appears in the blocks; a stage's guidance changes.
    expect(
      (await w.api.post('/custom-fields', { object_type: 'deal', key: 'budget', type: 'money', label_ru: 'Бюджет', label_en: 'Budget' }))
        .status,
    ).toBe(201);
    expect((await card(big.body.id)).blocks.flatMap((b: { fields: { key: string }[] }) => b.fields.map((f) => f.key))).toEqual(['budget']);
    const stage = w.stage('Новый лид');
    const current = (await w.api.get(`/stages/${stage.id}`)).body;
    const patched = await w.api.patch(`/stages/${stage.id}`, { version: current.version, guidance_ru: 'Позвонить в течение часа' });
    expect(patched.status).toBe(200);
    expect((await card(big.body.id)).stage).toMatchObject({ id: stage.id, guidance_ru: 'Позвонить в течение часа' });
  });
});
