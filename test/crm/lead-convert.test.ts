/**
 * Lead conversion (issue 16): one transaction creates or picks the company and the contact,
 * creates the deal as POST /deals does (stage entry, visits, counters, checkpoints: the integrity
 * check stays clean), marks the lead converted with its three links and audits each record.
 */
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/history/check-history.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let w: SeededWorkspace;

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Конвертация');
});
afterAll(async () => {
  await h.close();
});

const lead = async (extra: Record<string, unknown> = {}) => {
  const r = await w.api.post('/leads', {
    title: 'Заявка с сайта',
    company_name: 'ООО Вектор',
    contact_name: 'Ольга Кравец',
    email: 'olga@vector.test',
    phone: '+7 900 000-00-01',
    ...extra,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: number; version: number };
};

describe('POST /leads/:id/convert', () => {
  it('a new company and contact and a deal in the second stage; the lead converted; each audited; history clean', async () => {
    const existing = await w.api.post('/companies', { name: 'Старый Вектор', inn: '7701234567' });
    const l = await lead();
    const stage = w.stage('Квалификация');
    const r = await w.api.post(`/leads/${l.id}/convert`, {
      version: l.version,
      company: { name: 'ООО Вектор', inn: '7701234567' },
      contact: { name: 'Ольга Кравец', email: 'olga@vector.test', phone: '+7 900 000-00-01' },
      deal: { title: 'Вектор: поставка', amount_minor: 123_456_789, stage_id: stage.id },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const { company, contact, deal } = r.body;
    expect(company).toMatchObject({ name: 'ООО Вектор', inn: '7701234567', owner_id: w.adminId, version: 1 });
    expect(contact).toMatchObject({ name: 'Ольга Кравец', email: 'olga@vector.test', company_id: company.id, version: 1 });
    expect(deal).toMatchObject({
      title: 'Вектор: поставка',
      amount_minor: 123_456_789,
      stage_id: stage.id,
      status: 'open',
      company_id: company.id,
      contact_id: contact.id,
      lead_id: l.id,
      owner_id: w.adminId,
    });
    expect(r.body.lead).toMatchObject({
      status: 'converted',
      company_id: company.id,
      contact_id: contact.id,
      deal_id: deal.id,
      version: 2,
    });
    expect(r.body.duplicates).toEqual({ company: [existing.body.id], contact: [] });
    const events = await h.db.query<{ stage_id: number }>(
      sql`select stage_id from stage_events where workspace_id = ${w.ws} and deal_id = ${deal.id}`,
    );
    expect(events.map((e) => Number(e.stage_id))).toEqual([stage.id]);
    const audit = await h.db.query<{ entity: string; action: string; entity_id: number }>(
      sql`select entity, action, entity_id from audit_log where workspace_id = ${w.ws} and at = ${h.clock.now()}
           and entity in ('companies', 'contacts', 'deals', 'leads') and entity_id in (${company.id}, ${contact.id}, ${deal.id}, ${l.id})
           and not (entity = 'companies' and entity_id = ${existing.body.id}) order by id`,
    );
    expect(
      audit.filter((a) => !(a.entity === 'leads' && a.action === 'create')).map((a) => [a.entity, a.action, Number(a.entity_id)]),
    ).toEqual([
      ['companies', 'create', company.id],
      ['contacts', 'create', contact.id],
      ['deals', 'create', deal.id],
      ['leads', 'update', l.id],
    ]);
    const problems = await inWorkspace(h.db, w.ws, (tx) => checkHistory(tx, w.ws));
    expect(problems.filter((p) => p.problems > 0)).toEqual([]);

    const again = await w.api.post(
      `/leads/${l.id}/convert`,
      { version: 2, company: { id: company.id }, contact: null, deal: { title: 'Ещё' } },
      { 'accept-language': 'ru' },
    );
    expect(again.status).toBe(400);
    expect(again.body.error.fields).toEqual([
      { field: 'status', code: 'already_converted', message: `лид ${l.id} уже конвертирован (сделка ${deal.id})` },
    ]);
  });

  it('an existing company and contact are picked; a contact without a company is linked to it', async () => {
    const c = await w.api.post('/companies', { name: 'ООО Есть' });
    const p = await w.api.post('/contacts', { name: 'Без Компании' });
    const l = await lead();
    const r = await w.api.post(`/leads/${l.id}/convert`, {
      version: 1,
      company: { id: c.body.id },
      contact: { id: p.body.id },
      deal: { title: 'Есть: сделка' },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.company.id).toBe(c.body.id);
    expect(r.body.contact).toMatchObject({ id: p.body.id, company_id: c.body.id, version: 2 });
    expect(r.body.deal).toMatchObject({ company_id: c.body.id, contact_id: p.body.id, stage_id: w.stage('Новый лид').id, amount_minor: 0 });
  });

  it('a stale lead version answers 409 and creates nothing', async () => {
    const l = await lead();
    await w.api.patch(`/leads/${l.id}`, { version: 1, status: 'working' });
    const before = await h.db.query<{ n: number }>(sql`select count(*)::int as n from companies where workspace_id = ${w.ws}`);
    const r = await w.api.post(`/leads/${l.id}/convert`, {
      version: 1,
      company: { name: 'Никогда' },
      contact: null,
      deal: { title: 'Нет' },
    });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('VERSION_CONFLICT');
    expect(r.body.error.changes.map((c: { field: string; from: unknown; to: unknown }) => [c.field, c.from, c.to])).toEqual([
      ['status', 'new', 'working'],
    ]);
    const after = await h.db.query<{ n: number }>(sql`select count(*)::int as n from companies where workspace_id = ${w.ws}`);
    expect(after[0].n).toBe(before[0].n);
  });

  it('a disqualified lead is refused in both languages; a bad deal field is named under deal.; nothing is left behind', async () => {
    const l = await lead({ status: 'disqualified' });
    const ru = await w.api.post(
      `/leads/${l.id}/convert`,
      { version: 1, company: { name: 'X' }, contact: null, deal: { title: 'X' } },
      { 'accept-language': 'ru' },
    );
    expect(ru.status).toBe(400);
    expect(ru.body.error.fields[0].message).toBe(`лид ${l.id} дисквалифицирован: смените статус, прежде чем конвертировать`);
    const en = await w.api.post(
      `/leads/${l.id}/convert`,
      { version: 1, company: { name: 'X' }, contact: null, deal: { title: 'X' } },
      { 'accept-language': 'en' },
    );
    expect(en.body.error.fields[0].message).toBe(`lead ${l.id} is disqualified: set another status before converting it`);

    const ok = await lead();
    const companies = await h.db.query<{ n: number }>(sql`select count(*)::int as n from companies where workspace_id = ${w.ws}`);
    const bad = await w.api.post(`/leads/${ok.id}/convert`, {
      version: 1,
      company: { name: 'ООО Откат' },
      contact: null,
      deal: { title: 'Чужой этап', stage_id: 999_999 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['deal.stage_id']);
    const after = await h.db.query<{ n: number }>(sql`select count(*)::int as n from companies where workspace_id = ${w.ws}`);
    expect(after[0].n).toBe(companies[0].n);
  });
});
