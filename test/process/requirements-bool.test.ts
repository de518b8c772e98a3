import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFilled } from '../../src/process/requirements.ts';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

/**
 * «Бюджет подтверждён» is a yes/no question: the answer «Нет» must not satisfy the requirement,
 * neither on a move nor on the card's "filled" mark. Before the fix, any non-empty value did.
 */
let h: Harness;
let w: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Да или нет');
});
afterAll(async () => {
  await h.close();
});

const yesNo = [
  { value: 'yes', label_ru: 'Да', label_en: 'Yes' },
  { value: 'no', label_ru: 'Нет', label_en: 'No' },
];

describe('a yes/no requirement', () => {
  it('is not satisfied by «Нет»: the move is refused, the card shows it unfilled; «Да» satisfies it', async () => {
    const field = await w.api.post('/custom-fields', {
      object_type: 'deal',
      key: 'budget_confirmed',
      type: 'choice',
      label_ru: 'Бюджет подтверждён',
      label_en: 'Budget confirmed',
      choices: yesNo,
    });
    expect(field.status).toBe(201);
    const req = await w.api.post('/stage-requirements', { stage_id: w.stage('Встреча').id, field: 'custom.budget_confirmed' });
    expect(req.status).toBe(201);

    const deal = await w.api.post('/deals', {
      title: 'Бюджет под вопросом',
      amount_minor: 100_000,
      stage_id: w.stage('Квалификация').id,
      custom: { budget_confirmed: 'no' },
    });
    expect(deal.status).toBe(201);
    const id = deal.body.id;

    const card = await w.api.get(`/deals/${id}/card`);
    expect(card.status).toBe(200);
    expect(card.body.requirements.next).toEqual([
      { field: 'custom.budget_confirmed', label_ru: 'Бюджет подтверждён', label_en: 'Budget confirmed', filled: false },
    ]);

    const refused = await w.api.post(`/deals/${id}/move`, { stage_id: w.stage('Встреча').id }, { 'accept-language': 'ru' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('STAGE_REQUIREMENTS_MISSING');
    expect(refused.body.error.message).toBe('чтобы перейти на этап «Встреча», заполните: Бюджет подтверждён');

    const current = await w.api.get(`/deals/${id}`);
    const yes = await w.api.patch(`/deals/${id}`, { version: current.body.version, custom: { budget_confirmed: 'yes' } });
    expect(yes.status).toBe(200);
    const moved = await w.api.post(`/deals/${id}/move`, { stage_id: w.stage('Встреча').id });
    expect(moved.status).toBe(200);
    expect((await w.api.get(`/deals/${id}`)).body.stage_id).toBe(w.stage('Встреча').id);
  });
});

describe('isFilled on a yes/no answer', () => {
  const deal = (custom: Record<string, unknown>) => ({ custom });
  const choice = {
    type: 'choice',
    choices: [
      { value: 'v1', label_ru: 'Да', label_en: 'Yes' },
      { value: 'v2', label_ru: 'Нет', label_en: 'No' },
    ],
  };

  it('false, «no», «Нет» do not fill it; «yes», true and other answers do', () => {
    expect(isFilled(deal({ b: false }), 'custom.b')).toBe(false);
    expect(isFilled(deal({ b: true }), 'custom.b')).toBe(true);
    expect(isFilled(deal({ b: 'no' }), 'custom.b')).toBe(false);
    expect(isFilled(deal({ b: 'Нет' }), 'custom.b')).toBe(false);
    expect(isFilled(deal({ b: 'yes' }), 'custom.b')).toBe(true);
    expect(isFilled(deal({ b: '' }), 'custom.b')).toBe(false);
    // A choice whose value says nothing: its label decides.
    expect(isFilled(deal({ b: 'v2' }), 'custom.b', choice)).toBe(false);
    expect(isFilled(deal({ b: 'v1' }), 'custom.b', choice)).toBe(true);
    // A text field's «нет» is an answer (e.g. «Основной конкурент: нет»), once its type is known.
    expect(isFilled(deal({ b: 'нет' }), 'custom.b', { type: 'text' })).toBe(true);
  });
});
