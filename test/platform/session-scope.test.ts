import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDb } from '../../src/platform/db/pg-db.ts';
import type { Queryable } from '../../src/platform/db/types.ts';
import { inWorkspace, readInWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { type Harness, type SeededWorkspace, seedWorkspace, startHarness } from '../support/harness.ts';
import { ENGINE, testDatabaseUrl } from '../support/test-db.ts';

/**
 * One-statement reads on a PostgreSQL server leave their workspace scope and role on the
 * connection for the next such read (no BEGIN/COMMIT). Every other use of that connection must
 * still get exactly the scope it asks for: over one connection (a pool of 1), reads, owner
 * queries and transactions of two workspaces take turns, and each sees what it should.
 */
describe.runIf(ENGINE === 'postgres')('session scopes of one-statement reads', () => {
  let h: Harness;
  let a: SeededWorkspace;
  let b: SeededWorkspace;
  let one: PgDb;
  beforeAll(async () => {
    h = await startHarness();
    a = await seedWorkspace(h, 'A');
    b = await seedWorkspace(h, 'B');
    expect((await a.api.post('/companies', { name: 'Альфа' })).status).toBe(201);
    expect((await b.api.post('/companies', { name: 'Бета' })).status).toBe(201);
    one = new PgDb(testDatabaseUrl(h.db) as string, 1);
  });
  afterAll(async () => {
    await one?.close();
    await h.close();
  });

  const who = (q: Queryable) =>
    q.query<{ role: string; ws: string | null; names: string[] }>(
      sql`select current_user as role, nullif(current_setting('voronka.workspace_id', true), '') as ws,
                 array(select name from companies order by name) as names`,
    );

  it('each use of the one connection sees its own scope, whatever the previous use left', async () => {
    const [owner] = await one.query<{ role: string }>('select current_user as role');
    expect(owner.role).not.toBe('voronka_app');
    const steps: [string, () => Promise<unknown>, unknown][] = [
      ['read A', () => readInWorkspace(one, a.ws, who), [{ role: 'voronka_app', ws: String(a.ws), names: ['Альфа'] }]],
      ['read A again', () => readInWorkspace(one, a.ws, who), [{ role: 'voronka_app', ws: String(a.ws), names: ['Альфа'] }]],
      ['owner', () => who(one), [{ role: owner.role, ws: null, names: ['Альфа', 'Бета'] }]],
      ['read B', () => readInWorkspace(one, b.ws, who), [{ role: 'voronka_app', ws: String(b.ws), names: ['Бета'] }]],
      ['transaction A', () => inWorkspace(one, a.ws, who), [{ role: 'voronka_app', ws: String(a.ws), names: ['Альфа'] }]],
      ['read B after it', () => readInWorkspace(one, b.ws, who), [{ role: 'voronka_app', ws: String(b.ws), names: ['Бета'] }]],
      ['owner transaction', () => one.transaction(who), [{ role: owner.role, ws: null, names: ['Альфа', 'Бета'] }]],
      ['read A last', () => readInWorkspace(one, a.ws, who), [{ role: 'voronka_app', ws: String(a.ws), names: ['Альфа'] }]],
    ];
    for (const [name, run, expected] of steps) expect(await run(), name).toEqual(expected);
  });

  it('a failed statement keeps the scope right; a second statement is refused', async () => {
    await expect(readInWorkspace(one, b.ws, (q) => q.query('select 1 / 0'))).rejects.toThrow(/division by zero/);
    expect(await readInWorkspace(one, b.ws, who)).toEqual([{ role: 'voronka_app', ws: String(b.ws), names: ['Бета'] }]);
    await expect(
      readInWorkspace(one, a.ws, async (q) => {
        await q.query('select 1');
        return q.query('select 2');
      }),
    ).rejects.toThrow(/second statement/);
    // Writes of another workspace's rows stay invisible and impossible from a scoped read.
    const moved = await readInWorkspace(one, a.ws, (q) => q.run(sql`update companies set name = 'взлом' where workspace_id = ${b.ws}`));
    expect(moved).toBe(0);
    expect((await one.query<{ name: string }>(sql`select name from companies where workspace_id = ${b.ws}`)).map((r) => r.name)).toEqual([
      'Бета',
    ]);
  });

  it('after a rolled-back transaction, owner statements and reads still get their own scope; one text, one statement', async () => {
    await readInWorkspace(one, a.ws, who);
    await expect(
      inWorkspace(one, b.ws, async (tx) => {
        await tx.query('select 1');
        throw new Error('fails after a statement');
      }),
    ).rejects.toThrow(/fails after/);
    const [owner] = await one.query<{ role: string; ws: string | null }>(
      `select current_user as role, nullif(current_setting('voronka.workspace_id', true), '') as ws`,
    );
    expect(owner.role).not.toBe('voronka_app');
    expect(owner.ws).toBeNull();
    // run and exec of the owner after a scoped read: the owner's rights, all workspaces
    await readInWorkspace(one, b.ws, who);
    expect(await one.run(sql`update companies set name = name where workspace_id in (${a.ws}, ${b.ws})`)).toBe(2);
    await readInWorkspace(one, a.ws, who);
    await one.exec('create table session_owner_check (x int); drop table session_owner_check'); // voronka_app may not create tables
    expect(await readInWorkspace(one, a.ws, who)).toEqual([{ role: 'voronka_app', ws: String(a.ws), names: ['Альфа'] }]);
    // Text with two statements cannot leave a read's connection with other settings.
    await expect(readInWorkspace(one, a.ws, (q) => q.query('select 1; reset role'))).rejects.toThrow(/multiple commands/);
    expect(await readInWorkspace(one, a.ws, who)).toEqual([{ role: 'voronka_app', ws: String(a.ws), names: ['Альфа'] }]);
  });
});
