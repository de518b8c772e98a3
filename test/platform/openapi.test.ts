import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type Harness, startHarness } from '../support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('the OpenAPI document', () => {
  it('is served without signing in and lists exactly the API routes', async () => {
    const res = await apiClient(h.url, null).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const documented = Object.entries(res.body.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const routed = h.app.routeList
      .filter((r) => r.url.startsWith('/api/v1/') && r.url !== '/api/v1/openapi.json')
      .map((r) => `${r.method} ${r.url.replace(/:([a-z_]+)/g, '{$1}')}`)
      .sort();
    expect(documented).toEqual(routed);
    expect(routed.length).toBeGreaterThan(40);
  });

  it('describes request bodies, parameters and responses from the validating schemas', async () => {
    const doc = (await apiClient(h.url, null).get('/openapi.json')).body;
    const create = doc.paths['/api/v1/deals'].post;
    const body = create.requestBody.content['application/json'].schema;
    expect(body.additionalProperties).toBe(false);
    expect(body.required).toEqual(['title']);
    expect(body.properties.amount_minor).toMatchObject({ type: 'integer', minimum: 0 });
    expect(Object.keys(create.responses).sort()).toEqual(['201', '400', '401', '403', '404', '409', '422']);
    const list = doc.paths['/api/v1/deals'].get;
    const names = list.parameters.map((p: { name: string }) => p.name);
    for (const n of ['limit', 'cursor', 'sort', 'status', 'owner_id', 'amount_minor_min', 'created_at_from', 'created_at_to', 'q'])
      expect(names).toContain(n);
    const move = doc.paths['/api/v1/deals/{id}/move'].post;
    expect(move.requestBody.content['application/json'].schema.required).toEqual(['stage_id']);
    expect(doc.paths['/api/v1/health'].get.security).toEqual([]);
    expect(doc.components.securitySchemes.token).toEqual({ type: 'http', scheme: 'bearer' });
  });
});
