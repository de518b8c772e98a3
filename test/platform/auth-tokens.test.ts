import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

/** API tokens against the session cookie, password resets and admins (issue 14, items 11 and 12). */
let h: Harness;
let w: SeededWorkspace;
const anonymous = () => apiClient(h.url, null);
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  h = await startHarness();
  w = await seedWorkspace(h, 'Токены');
});
afterAll(async () => {
  await h.close();
});

describe('the session cookie carries sessions only', () => {
  it('refuses an API token sent as the session cookie, for reads and for cross-site writes', async () => {
    const token = (await w.api.post('/auth/tokens', { name: 'в cookie' })).body.token as string;
    const cookie = `voronka_session=${token}`;
    const write = await anonymous().post('/segments', { name: 'С чужого сайта' }, { cookie, origin: 'http://evil.example' });
    expect(write.status).toBe(401);
    expect(write.body.error.code).toBe('UNAUTHENTICATED');
    expect(await h.db.query(sql`select 1 from segments where workspace_id = ${w.ws} and name = 'С чужого сайта'`)).toEqual([]);
    expect((await anonymous().get('/segments', { cookie })).status).toBe(401);
    // The same token as a bearer token works, and a real session in the cookie still does.
    expect((await apiClient(h.url, token).post('/segments', { name: 'Скриптом' })).status).toBe(201);
    const login = await anonymous().post('/auth/login', { email: `admin@${w.ws}.test`, password: PASSWORD });
    const session = (login.headers.get('set-cookie') ?? '').split(';')[0];
    expect((await anonymous().get('/segments', { cookie: session })).status).toBe(200);
  });
});
