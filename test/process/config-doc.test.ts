import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { B2B_STANDARD_RU as DEMO_STANDARD } from '../../src/process/standard-b2b.ts';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

let h: Harness;
let a: SeededWorkspace;
let b: SeededWorkspace;
beforeAll(async () => {
  h = await startHarness();
  a = await seedWorkspace(h, 'Источник');
  b = await seedWorkspace(h, 'Приёмник');
});
afterAll(async () => {
  await h.close();
});

describe('the sales standard as one JSON document', () => {
  it('round-trips: applied to one workspace, exported, applied to another, exported the same', async () => {
    const applied = await a.api.raw('/config', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(DEMO_STANDARD),
    });
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({
      segments_created: 4,
      fields_created: 4,
      pipelines_created: 1,
      templates_created: 22,
      requirements: 7,
    });
    const exported = (await a.api.get('/config')).body;
    const pipeline = exported.pipelines.find((p: { name: string }) => p.name === 'Продажи B2B');
    expect(pipeline.stages.map((s: { name: string }) => s.name)).toEqual(DEMO_STANDARD.pipelines[0].stages.map((s) => s.name));
    expect(pipeline.stages[4].playbook.find((t: { key: string }) => t.key === 'follow_up.mid')).toMatchObject({
      anchor: 'proposal.mid',
      day_kind: 'calendar',
      segment: 'Средний бизнес',
    });
    expect(exported.calendar).toEqual([...DEMO_STANDARD.calendar].sort((x, y) => x.day.localeCompare(y.day)));
    const intoB = await b.api.raw('/config', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(exported),
    });
    expect(intoB.status).toBe(200);
    const again = (await b.api.get('/config')).body;
    const strip = (doc: { pipelines: { name: string }[] }) => ({
      ...doc,
      pipelines: doc.pipelines.filter((p) => p.name === 'Продажи B2B'),
    });
    expect(strip(again)).toEqual(strip(exported));
    // Applying it twice changes nothing but versions.
    const twice = await b.api.raw('/config', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(exported),
    });
    expect(twice.body).toMatchObject({
      segments_created: 0,
      pipelines_created: 0,
      stages_created: 0,
      templates_created: 0,
      templates_deactivated: 0,
    });
    expect(strip((await b.api.get('/config')).body)).toEqual(strip(exported));
  });

  it('deactivates templates left out, never deletes them', async () => {
    const doc = structuredClone(DEMO_STANDARD);
    doc.pipelines[0].stages[0].playbook = [];
    const r = await a.api.raw('/config', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
    expect(r.body.templates_deactivated).toBe(1);
    const [t] = (await a.api.get('/task-templates?key=first_call')).body.items;
    expect(t.active).toBe(false);
  });

  it('names every problem of a bad document and writes nothing', async () => {
    const before = (await b.api.get('/config')).body;
    const bad = structuredClone(DEMO_STANDARD) as any;
    bad.pipelines[0].stages[0].playbook[0].due_days = -3;
    bad.pipelines[0].stages[1].playbook[0].due_days = 9999;
    bad.pipelines[0].stages[2].requirements.push({ field: 'custom.missing_field', segments: null });
    bad.pipelines[0].stages[4].playbook[0].anchor = 'follow_up.smb'; // proposal.smb ← follow_up.smb ← proposal.smb
    bad.calendar.push({ day: '2025-01-01', kind: 'holiday', note: null });
    const shape = await b.api.raw('/config', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bad) });
    expect(shape.status).toBe(400);
    expect(shape.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'pipelines.0.stages.0.playbook.0.due_days',
      'pipelines.0.stages.1.playbook.0.due_days',
    ]);
    bad.pipelines[0].stages[0].playbook[0].due_days = 1;
    bad.pipelines[0].stages[1].playbook[0].due_days = 2;
    const cross = await b.api.raw('/config', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bad) });
    expect(cross.status).toBe(400);
    expect(cross.body.error.fields.map((f: { field: string; code: string }) => `${f.field}:${f.code}`).sort()).toEqual([
      `calendar.${DEMO_STANDARD.calendar.length}.day:duplicate`,
      'pipelines.0.stages.2.requirements.2.field:not_found',
      'pipelines.0.stages.4.playbook.0.anchor:cycle',
      'pipelines.0.stages.4.playbook.3.anchor:cycle',
    ]);
    expect((await b.api.get('/config')).body).toEqual(before);
  });
});
