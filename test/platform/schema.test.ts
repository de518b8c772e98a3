import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, MigrationMismatchError, migrate } from '../../src/platform/db/migrate.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { openTestDb } from '../support/test-db.ts';

let db: Db;
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db.close();
});

describe('schema: the Citus co-location rule', () => {
  it('keys every table by workspace_id first', async () => {
    const rows = await db.query<{ table_name: string; first_key: string | null }>(`
      select c.relname as table_name,
             (select a.attname from pg_index i
                join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
               where i.indrelid = c.oid and i.indisprimary) as first_key
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind = 'r'
       order by 1`);
    expect(rows.length).toBeGreaterThanOrEqual(18);
    const offenders = rows.filter((r) => r.first_key !== 'workspace_id').map((r) => `${r.table_name} (${r.first_key ?? 'no primary key'})`);
    expect(offenders).toEqual([]);
  });

  it('includes workspace_id in every foreign key, on both sides', async () => {
    const rows = await db.query<{ name: string; table_name: string; cols: string[]; ref_cols: string[] }>(`
      select con.conname as name, c.relname as table_name,
             array(select a.attname from unnest(con.conkey) k join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k)::text[] as cols,
             array(select a.attname from unnest(con.confkey) k join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k)::text[] as ref_cols
        from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
       where con.contype = 'f' and n.nspname = 'public'`);
    expect(rows.length).toBeGreaterThanOrEqual(30);
    const offenders = rows
      .filter((r) => r.cols[0] !== 'workspace_id' || r.ref_cols[0] !== 'workspace_id')
      .map((r) => `${r.table_name}.${r.name}`);
    expect(offenders).toEqual([]);
  });

  it('stores money as integer minor units and time as timestamptz', async () => {
    const rows = await db.query<{ table_name: string; column_name: string; data_type: string }>(`
      select table_name, column_name, data_type from information_schema.columns
       where table_schema = 'public' and (column_name like '%amount%' or column_name like '%\\_at' or column_name = 'at')`);
    expect(rows.length).toBeGreaterThan(20);
    const wrong = rows.filter((r) =>
      r.column_name.includes('amount') ? r.data_type !== 'bigint' : r.data_type !== 'timestamp with time zone',
    );
    expect(wrong).toEqual([]);
  });
});

describe('migrations', () => {
  it('are recorded, and a second run applies nothing', async () => {
    expect(await migrate(db)).toEqual([]);
    const applied = await db.query<{ version: number }>('select version from voronka_meta.schema_migrations order by version');
    expect(applied.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));
  });

  it('refuse to run when an applied migration file was edited afterwards', async () => {
    const edited = loadMigrations().map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited`, checksum: 'x'.repeat(64) } : m));
    await expect(migrate(db, edited)).rejects.toBeInstanceOf(MigrationMismatchError);
  });

  it('roll back a failing migration entirely', async () => {
    const broken = [
      ...loadMigrations(),
      { version: 999, name: '0999_broken', sql: 'create table half_done (x int); select 1/0;', checksum: 'b'.repeat(64) },
    ];
    await expect(migrate(db, broken)).rejects.toThrow(/division by zero/);
    const t = await db.query(`select 1 from pg_class where relname = 'half_done'`);
    expect(t).toEqual([]);
    const v = await db.query('select 1 from voronka_meta.schema_migrations where version = 999');
    expect(v).toEqual([]);
  });

  it('keeps the stage history append-only in the database itself', async () => {
    await expect(db.query('update stage_events set reason = $1', ['x'])).resolves.toEqual([]);
    // No rows yet: the trigger fires per row. Insert one and try again.
    await db.exec(`
      insert into workspaces (name) values ('append-only');
      insert into pipelines (workspace_id, name) select workspace_id, 'p' from workspaces where name = 'append-only';
      insert into stages (workspace_id, pipeline_id, name, kind, position) select workspace_id, id, 's', 'open', 1 from pipelines where name = 'p';
      insert into deals (workspace_id, title, pipeline_id, stage_id, status, stage_entered_at, currency, created_at)
        select workspace_id, 'd', pipeline_id, id, 'open', now(), 'RUB', now() from stages where name = 's';
      insert into stage_events (workspace_id, deal_id, pipeline_id, stage_id, entered_at)
        select d.workspace_id, d.id, d.pipeline_id, d.stage_id, now() from deals d where title = 'd';`);
    await expect(db.query('update stage_events set reason = $1', ['rewrite'])).rejects.toThrow(/append-only/);
    await expect(db.query('delete from stage_events')).rejects.toThrow(/append-only/);
  });
});
