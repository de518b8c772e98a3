import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../../src/imports/bundle-import.ts';
import { fixedClock } from '../../src/platform/clock.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { AppError } from '../../src/platform/errors.ts';
import { BUNDLE_PIPELINE, dealRow, writeBundle } from '../support/bundle.ts';
import { openTestDb } from '../support/test-db.ts';

let db: Db;
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db.close();
});

/** Far from the real time, so that a timestamp taken from the database's clock cannot pass for it. */
const T1 = '2031-03-04T05:06:07.089Z';
const T2 = '2032-07-08T09:10:11.123Z';

describe('the import writes the injected clock’s instant, not the database’s', () => {
  it('stamps every row it creates or changes with the clock, and a re-import with the later instant', async () => {
    const clock = fixedClock(T1);
    const dir = writeBundle({
      deals: [dealRow('C1', { owner: 'Ольга Часова', segment: 'Часы', channel: 'Будильник', company: 'ООО «Циферблат»' }), dealRow('C2')],
      events: [
        ['C1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
        ['C2', 'Новый лид', '2025-01-11T10:00:00+03:00'],
      ],
    });
    const first = await importBundle(db, dir, { workspace: 'Часы', now: clock.now() });
    expect(first).toMatchObject({ workspace_created: true, pipeline_created: true, deals_created: 2, stage_entries_added: 2 });
    const [{ ws }] = await db.query<{ ws: number }>(sql`select workspace_id as ws from workspaces where name = 'Часы'`);
    const t1 = new Date(T1);
    const stamps = async (q: ReturnType<typeof sql>) => (await db.query<{ t: Date }>(q)).map((r) => r.t.toISOString());
    expect(await stamps(sql`select created_at as t from workspaces where workspace_id = ${ws}`)).toEqual([T1]);
    for (const table of ['pipelines', 'stages', 'users', 'segments', 'channels', 'companies']) {
      const rows = await db.query<{ created_at: Date; updated_at: Date }>(
        sql([`select created_at, updated_at from ${table} where workspace_id = `, ''], ws),
      );
      expect(rows.length, table).toBeGreaterThan(0);
      expect(rows, table).toEqual(rows.map(() => ({ created_at: t1, updated_at: t1 })));
    }
    expect(await stamps(sql`select updated_at as t from deals where workspace_id = ${ws} order by external_id`)).toEqual([T1, T1]);
    expect(await stamps(sql`select recorded_at as t from stage_events where workspace_id = ${ws} order by entered_at`)).toEqual([T1, T1]);
    const [run] = await db.query<{ started_at: Date; finished_at: Date }>(
      sql`select started_at, finished_at from import_runs where workspace_id = ${ws}`,
    );
    expect(run.started_at).toEqual(t1);
    // finished_at is the clock's instant plus the elapsed time of the import (a stopwatch's).
    const took = run.finished_at.getTime() - run.started_at.getTime();
    expect(took).toBeGreaterThanOrEqual(Math.floor(first.seconds * 1000));
    expect(took).toBeLessThan(first.seconds * 1000 + 5000);

    // Later: C1's amount changed and C2 moved on; the unchanged C1 history and the new names keep T1.
    clock.set(T2);
    const later = writeBundle({
      deals: [
        dealRow('C1', { owner: 'Ольга Часова', segment: 'Часы', channel: 'Будильник', company: 'ООО «Циферблат»', amount: '2000' }),
        dealRow('C2'),
      ],
      events: [
        ['C1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
        ['C2', 'Новый лид', '2025-01-11T10:00:00+03:00'],
        ['C2', 'Квалификация', '2025-02-11T10:00:00+03:00'],
      ],
    });
    const second = await importBundle(db, later, { workspace: 'Часы', now: clock.now() });
    expect(second).toMatchObject({ deals_updated: 1, deals_unchanged: 1, stage_entries_added: 1, stage_entries_already_present: 2 });
    expect(await stamps(sql`select updated_at as t from deals where workspace_id = ${ws} order by external_id`)).toEqual([T2, T1]);
    expect(await stamps(sql`select recorded_at as t from stage_events where workspace_id = ${ws} order by entered_at`)).toEqual([
      T1,
      T1,
      T2,
    ]);
    expect(await stamps(sql`select started_at as t from import_runs where workspace_id = ${ws} order by id`)).toEqual([T1, T2]);
  });
});

describe('names and the time zone reach SQL as values', () => {
  it("imports stages and a pipeline whose names hold quotes, backslashes, commas and braces: Демо 'B'", async () => {
    const stages = [
      { name: "Демо 'B'", kind: 'open' },
      { name: 'КП "вариант 2", {срочно}', kind: 'open' },
      { name: 'Договор \\ счёт', kind: 'won' },
      { name: "Отказ'); drop table deals; --", kind: 'lost' },
    ];
    const dir = writeBundle({
      pipeline: { ...BUNDLE_PIPELINE, name: "Воронка 'Б'", stages },
      deals: [dealRow('Q1'), dealRow('Q2'), dealRow('Q3', { company: "O'Reilly" })],
      events: [
        ['Q1', "демо 'b'", '2025-01-10T10:00:00+03:00'],
        ['Q1', 'КП "вариант 2", {срочно}', '2025-01-12T10:00:00+03:00'],
        ['Q1', 'договор \\ счёт', '2025-01-20T10:00:00+03:00'],
        ['Q2', "Демо 'B'", '2025-01-11T10:00:00+03:00'],
        ['Q2', "Отказ'); drop table deals; --", '2025-01-15T10:00:00+03:00'],
        ['Q3', "Демо 'B'", '2025-01-12T10:00:00+03:00'],
      ],
    });
    const r = await importBundle(db, dir, { workspace: "Пространство 'Кавычки'", now: new Date(T1) });
    expect(r).toMatchObject({ workspace: "Пространство 'Кавычки'", pipeline: "Воронка 'Б'", deals_created: 3, stage_entries_added: 6 });
    const history = await db.query<{ external_id: string; stage: string }>(
      sql`select d.external_id, s.name as stage from stage_events e
            join deals d on d.workspace_id = e.workspace_id and d.id = e.deal_id
            join stages s on s.workspace_id = e.workspace_id and s.id = e.stage_id
            join pipelines p on p.workspace_id = s.workspace_id and p.id = s.pipeline_id
            join workspaces w on w.workspace_id = e.workspace_id
           where w.name = ${"Пространство 'Кавычки'"} and p.name = ${"Воронка 'Б'"}
           order by d.external_id, e.entered_at`,
    );
    expect(history).toEqual([
      { external_id: 'Q1', stage: "Демо 'B'" },
      { external_id: 'Q1', stage: 'КП "вариант 2", {срочно}' },
      { external_id: 'Q1', stage: 'Договор \\ счёт' },
      { external_id: 'Q2', stage: "Демо 'B'" },
      { external_id: 'Q2', stage: "Отказ'); drop table deals; --" },
      { external_id: 'Q3', stage: "Демо 'B'" },
    ]);
    const deals = await db.query<{ external_id: string; status: string; company: string }>(
      sql`select d.external_id, d.status, c.name as company from deals d join companies c on c.workspace_id = d.workspace_id and c.id = d.company_id
           join workspaces w on w.workspace_id = d.workspace_id where w.name = ${"Пространство 'Кавычки'"} order by d.external_id`,
    );
    expect(deals).toEqual([
      { external_id: 'Q1', status: 'won', company: 'ООО «Альфа»' },
      { external_id: 'Q2', status: 'lost', company: 'ООО «Альфа»' },
      { external_id: 'Q3', status: 'open', company: "O'Reilly" },
    ]);
    // A name the pipeline does not have is still refused, listing the real ones.
    const wrong = writeBundle({
      pipeline: { ...BUNDLE_PIPELINE, name: "Воронка 'Б'", stages },
      deals: [dealRow('Q4')],
      events: [['Q4', "Демо 'C'", '2025-01-10T10:00:00+03:00']],
    });
    const err = await importBundle(db, wrong, { workspace: "Пространство 'Кавычки'", now: new Date(T1) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).details).toMatchObject({ file: 'stage_events.csv', line: 2, column: 'stage', value: "Демо 'C'" });
    expect((err as AppError).message).toContain(
      `(stages: Демо 'B', КП "вариант 2", {срочно}, Договор \\ счёт, Отказ'); drop table deals; --)`,
    );
  });

  it('reads dates in the workspace zone through the SQL casts and the careful parser alike (America/St_Johns, UTC−3:30)', async () => {
    const dir = writeBundle({
      pipeline: { ...BUNDLE_PIPELINE, name: 'Ньюфаундленд', timezone: 'America/St_Johns' },
      // Every value here is in a form PostgreSQL's casts read (DD.MM.YYYY, ISO): the fast way, in the session's zone.
      deals: [dealRow('N1', { created_at: '15.01.2025 10:30' }), dealRow('N2', { created_at: '2025-01-16' })],
      events: [
        ['N1', 'Новый лид', '15.01.2025 10:30'],
        ['N2', 'Новый лид', '2025-01-16 00:00'],
        ['N2', 'Квалификация', '2025-01-17T09:00:00Z'],
      ],
    });
    await importBundle(db, dir, { workspace: 'Ньюфаундленд', now: new Date(T1) });
    // US-style M/d/yyyy is not a cast's form: those columns go the careful way (luxon), in the same zone.
    const careful = writeBundle({
      pipeline: { ...BUNDLE_PIPELINE, name: 'Ньюфаундленд', timezone: 'America/St_Johns' },
      deals: [dealRow('N3', { created_at: '2/5/2025 8:00' })],
      events: [['N3', 'Новый лид', '2/5/2025 8:00']],
    });
    await importBundle(db, careful, { workspace: 'Ньюфаундленд', now: new Date(T1) });
    const rows = await db.query<{ external_id: string; created_at: Date; entered: Date[] }>(
      sql`select d.external_id, d.created_at, array_agg(e.entered_at order by e.entered_at) as entered
            from deals d join stage_events e on e.workspace_id = d.workspace_id and e.deal_id = d.id
            join workspaces w on w.workspace_id = d.workspace_id where w.name = 'Ньюфаундленд'
           group by d.external_id, d.created_at order by d.external_id`,
    );
    expect(rows).toEqual([
      { external_id: 'N1', created_at: new Date('2025-01-15T14:00:00Z'), entered: [new Date('2025-01-15T14:00:00Z')] },
      {
        external_id: 'N2',
        created_at: new Date('2025-01-16T03:30:00Z'),
        entered: [new Date('2025-01-16T03:30:00Z'), new Date('2025-01-17T09:00:00Z')],
      },
      { external_id: 'N3', created_at: new Date('2025-02-05T11:30:00Z'), entered: [new Date('2025-02-05T11:30:00Z')] },
    ]);
  });

  it('refuses a time zone that is not an IANA name (a quote cannot reach SQL), writing nothing', async () => {
    const dir = writeBundle({
      pipeline: { ...BUNDLE_PIPELINE, name: 'Зона', timezone: "Europe/Moscow'; drop table deals; --" },
      deals: [dealRow('Z1')],
      events: [['Z1', 'Новый лид', '2025-01-10T10:00:00+03:00']],
    });
    const err = await importBundle(db, dir, { workspace: 'Зона', now: new Date(T1) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).details).toMatchObject({ file: 'pipeline.json', line: null });
    expect((err as AppError).message).toMatch(/is not an IANA time zone/);
    expect(await db.query(sql`select 1 from workspaces where name = 'Зона'`)).toEqual([]);
  });
});
