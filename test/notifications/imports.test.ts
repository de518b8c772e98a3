/**
 * Imports notify nobody (docs/notifications.md): a bundle, then a re-import that hands a deal to
 * another owner and moves both deals on, write no audit rows and so no notifications.
 */
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../../src/imports/bundle-import.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { dealRow, writeBundle } from '../support/bundle.ts';
import { openTestDb } from '../support/test-db.ts';

let db: Db;
const now = new Date('2026-11-20T00:00:00Z');

beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db?.close();
});

describe('imports', () => {
  it('create, hand over and move deals without notifying anyone', async () => {
    const first = writeBundle({
      deals: [dealRow('A-1', { owner: 'Анна Смирнова' }), dealRow('A-2', { owner: 'Игорь Ковалёв' })],
      events: [
        ['A-1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
        ['A-2', 'Новый лид', '2025-01-10T10:00:00+03:00'],
      ],
    });
    await importBundle(db, first, { workspace: 'Импорт', now });
    const second = writeBundle({
      deals: [dealRow('A-1', { owner: 'Игорь Ковалёв' }), dealRow('A-2', { owner: 'Игорь Ковалёв' })],
      events: [
        ['A-1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
        ['A-1', 'Квалификация', '2025-02-10T10:00:00+03:00'],
        ['A-2', 'Новый лид', '2025-01-10T10:00:00+03:00'],
        ['A-2', 'Встреча', '2025-02-11T10:00:00+03:00'],
      ],
    });
    await importBundle(db, second, { workspace: 'Импорт', now });
    const owners = await db.query<{ owner: string; stage: string }>(
      sql`select u.name as owner, s.name as stage from deals d join users u on u.workspace_id = d.workspace_id and u.id = d.owner_id
            join stages s on s.workspace_id = d.workspace_id and s.id = d.stage_id order by d.title`,
    );
    expect(owners).toEqual([
      { owner: 'Игорь Ковалёв', stage: 'Квалификация' },
      { owner: 'Игорь Ковалёв', stage: 'Встреча' },
    ]);
    expect(await db.query(sql`select id from audit_log`)).toEqual([]);
    expect(await db.query(sql`select id from notifications`)).toEqual([]);
  });
});
