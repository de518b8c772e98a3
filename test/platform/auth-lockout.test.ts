import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCKOUT } from '../../src/platform/auth/auth-service.ts';
import { argon2Verifications } from '../../src/platform/auth/secrets.ts';
import { addUser } from '../../src/platform/workspaces.ts';
import { apiClient, type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';

/**
 * Sign-in's lockout and what it tells about accounts (issue 14, items 5 and 10): the
 * failure is counted and the decision taken in one statement, per e-mail, whether or not
 * the e-mail belongs to anyone; every attempt costs one argon2 verification.
 */
let h: Harness;
let one: SeededWorkspace;
let two: SeededWorkspace;
const anonymous = () => apiClient(h.url, null);

beforeAll(async () => {
  h = await startHarness();
  one = await seedWorkspace(h, 'Первое');
  two = await seedWorkspace(h, 'Второе');
});
afterAll(async () => {
  await h.close();
});

/** One attempt: its answer and the argon2 verifications it cost. */
async function attempt(email: string, password: string, workspace?: string) {
  const before = argon2Verifications();
  const r = await anonymous().post('/auth/login', { email, password, ...(workspace ? { workspace } : {}) });
  return { status: r.status, body: r.body, verifications: argon2Verifications() - before };
}

const user = (ws: number, email: string, password: string) =>
  addUser(h.db, ws, { name: 'Павел', email, role: 'manager', password }, h.ctx.clock.now());

describe('the sign-in lockout', () => {
  it('cannot be raced: of 10 parallel wrong passwords 5 are checked and 5 refused, and the right one is refused after', async () => {
    const email = `race@${one.ws}.test`;
    await user(one.ws, email, 'the right passphrase');
    const before = argon2Verifications();
    const answers = await Promise.all(
      Array.from({ length: 2 * LOCKOUT.attempts }, () => anonymous().post('/auth/login', { email, password: 'a wrong guess' })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(LOCKOUT.attempts).fill(401), ...Array(LOCKOUT.attempts).fill(429)]);
    expect(argon2Verifications() - before).toBe(LOCKOUT.attempts);
    const right = await attempt(email, 'the right passphrase');
    expect(right.status).toBe(429);
    expect(right.verifications).toBe(0);
  });

  it('opens again after the lock time, and forgets failures a day old', async () => {
    const email = `later@${one.ws}.test`;
    await user(one.ws, email, 'the right passphrase');
    for (let i = 0; i < LOCKOUT.attempts; i++) expect((await attempt(email, 'a wrong guess')).status).toBe(401);
    const locked = await attempt(email, 'the right passphrase');
    expect(locked.status).toBe(429);
    expect(locked.body.error.retry_at).toBe(new Date(h.clock.now().getTime() + LOCKOUT.minutes * 60_000).toISOString());
    h.clock.advance(LOCKOUT.minutes * 60_000);
    try {
      expect((await attempt(email, 'the right passphrase')).status).toBe(200);
      // Four failures, a day's pause, four more: not five in a row within a day.
      const email2 = `pause@${one.ws}.test`;
      await user(one.ws, email2, 'the right passphrase');
      for (let i = 0; i < LOCKOUT.attempts - 1; i++) expect((await attempt(email2, 'a wrong guess')).status).toBe(401);
      h.clock.advance(86_400_000);
      try {
        for (let i = 0; i < LOCKOUT.attempts - 1; i++) expect((await attempt(email2, 'a wrong guess')).status).toBe(401);
        expect((await attempt(email2, 'the right passphrase')).status).toBe(200);
      } finally {
        h.clock.advance(-86_400_000);
      }
    } finally {
      h.clock.advance(-LOCKOUT.minutes * 60_000);
    }
  });
});

describe('account probing', () => {
  it('answers a known and an unknown e-mail alike: one argon2 verification per attempt, the same answers, the same lock', async () => {
    // Known in two workspaces, with a different password in each.
    const known = 'pavel@shared.test';
    await user(one.ws, known, 'first workspace passphrase');
    await user(two.ws, known, 'second workspace passphrase');
    const unknown = 'nobody@shared.test';
    const ofKnown = [];
    const ofUnknown = [];
    for (let i = 0; i < LOCKOUT.attempts + 1; i++) {
      ofKnown.push(await attempt(known, 'a wrong guess'));
      ofUnknown.push(await attempt(unknown, 'a wrong guess'));
    }
    expect(ofKnown).toEqual(ofUnknown);
    expect(ofKnown.map((a) => a.status)).toEqual([...Array(LOCKOUT.attempts).fill(401), 429]);
    expect(ofKnown.map((a) => a.verifications)).toEqual([...Array(LOCKOUT.attempts).fill(1), 0]);
    expect(ofKnown[0].body).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'wrong e-mail or password' } });
    // Naming a workspace changes nothing in that.
    expect(await attempt(known, 'a wrong guess', 'Второе')).toEqual(await attempt(unknown, 'a wrong guess', 'Второе'));
  });

  it('checks the password of an e-mail in several workspaces once: against the first, or the one named', async () => {
    const email = 'olga@shared.test';
    await user(one.ws, email, 'first workspace passphrase');
    await user(two.ws, email, 'second workspace passphrase');
    // The first workspace's password proves the person: which workspace?
    const which = await attempt(email, 'first workspace passphrase');
    expect(which).toMatchObject({ status: 400, verifications: 1 });
    expect(which.body.error.fields).toEqual([{ field: 'workspace', message: 'choose a workspace', code: 'ambiguous' }]);
    expect(which.body.error.workspaces).toEqual(['Первое', 'Второе']);
    // The second's is checked only when the second is named.
    expect(await attempt(email, 'second workspace passphrase')).toMatchObject({ status: 401, verifications: 1 });
    const second = await attempt(email, 'second workspace passphrase', 'второе');
    expect(second).toMatchObject({ status: 200, verifications: 1 });
    expect(second.body.workspace.id).toBe(two.ws);
    const first = await attempt(email, 'first workspace passphrase', String(one.ws));
    expect(first).toMatchObject({ status: 200, verifications: 1 });
    expect(first.body.workspace.id).toBe(one.ws);
  });

  it('lets an admin lift a lock by a reset, but not for an e-mail that also signs in to another workspace', async () => {
    const alone = `alone@${one.ws}.test`;
    const aloneId = await user(one.ws, alone, 'the right passphrase');
    const shared = 'shared-lock@shared.test';
    const sharedId = await user(one.ws, shared, 'the right passphrase');
    await user(two.ws, shared, 'another passphrase');
    for (const email of [alone, shared]) {
      for (let i = 0; i < LOCKOUT.attempts; i++) await attempt(email, 'a wrong guess');
      expect((await attempt(email, 'the right passphrase', 'Первое')).status).toBe(429);
    }
    expect((await one.api.patch(`/users/${aloneId}`, { password: 'a reset passphrase', version: 1 })).status).toBe(200);
    expect((await attempt(alone, 'a reset passphrase')).status).toBe(200);
    // The other workspace's account stays protected: the lock runs its time.
    expect((await one.api.patch(`/users/${sharedId}`, { password: 'a reset passphrase', version: 1 })).status).toBe(200);
    expect((await attempt(shared, 'a reset passphrase', 'Первое')).status).toBe(429);
    expect((await attempt(shared, 'another passphrase', 'Второе')).status).toBe(429);
  });
});
