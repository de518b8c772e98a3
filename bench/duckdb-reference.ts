import { DuckDBInstance } from '@duckdb/node-api';
import { STAGES } from './generate-bundle.ts';

/**
 * The hardware's reference: DuckDB computing the same funnel figures as plain
 * SQL (window functions over the raw history, as kpi.md reads) over tables loaded
 * from the same CSV files. Its timings set the bar the bench reports a ratio to.
 */

export interface DuckVariant {
  from: Date;
  to: Date;
  asOf: Date;
  segment?: string;
  byOwner?: boolean;
}

export interface DuckFigures {
  deals_created: number;
  deals_won: number;
  deals_lost: number;
  won_amount: number;
  open_deals: number;
  stuck_deals: number;
  entered: number[];
  advanced: number[];
}

const ts = (d: Date) => `TIMESTAMPTZ '${d.toISOString()}'`;
const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

export class DuckReference {
  private constructor(private readonly conn: Awaited<ReturnType<DuckDBInstance['connect']>>) {}

  static async load(dir: string): Promise<{ ref: DuckReference; loadSeconds: number }> {
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    const t0 = performance.now();
    await conn.run(`set TimeZone = 'UTC'`);
    await conn.run(
      `create table deals as select deal_id, owner, segment, cast(amount as decimal(18,2)) as amount from read_csv('${dir}/deals.csv', header = true, all_varchar = true)`,
    );
    await conn.run(
      `create table events as select deal_id, stage, cast(entered_at as timestamptz) as entered_at from read_csv('${dir}/stage_events.csv', header = true, all_varchar = true)`,
    );
    const stages = [
      ...STAGES.map((s, i) => `(${q(s)}, ${i + 1}, 'open')`),
      `('Успешно реализовано', ${STAGES.length + 1}, 'won')`,
      `('Закрыто и не реализовано', ${STAGES.length + 2}, 'lost')`,
    ];
    await conn.run(`create table stages as select * from (values ${stages.join(',')}) t(stage, pos, kind)`);
    return { ref: new DuckReference(conn), loadSeconds: (performance.now() - t0) / 1000 };
  }

  /** The funnel figures for one variant; returns them and the seconds spent. */
  async figures(v: DuckVariant): Promise<{ figures: DuckFigures; seconds: number }> {
    const seg = v.segment ? `and d.segment = ${q(v.segment)}` : '';
    const t0 = performance.now();
    const base = `
      with ev as (
        select e.deal_id, e.entered_at, s.pos, s.kind, s.stage
          from events e join stages s on s.stage = e.stage
         where e.entered_at < ${ts(v.asOf)}
      ), seq as (
        select *, row_number() over w as n, count(*) over (partition by deal_id) as cnt,
               lead(entered_at) over w as next_at, lead(kind) over w as next_kind,
               first_value(entered_at) over w as created_at,
               max(case when kind <> 'lost' then pos end) over (partition by deal_id order by entered_at, pos rows between 1 following and unbounded following) as later_max,
               lag(entered_at) over (partition by deal_id, stage order by entered_at, pos) as prev_same
          from ev window w as (partition by deal_id order by entered_at, pos)
      ), cur as (select s.*, d.amount, d.owner, d.segment from seq s join deals d using (deal_id) where n = cnt),
      thr as (
        select stage, quantile_cont(epoch(next_at) - epoch(entered_at), 0.9) as p90, count(*) as c
          from seq where kind = 'open' and next_at is not null group by stage
      )`;
    const groupCol = v.byOwner ? 'd.owner' : `'total'`;
    const rows = await this.conn.runAndReadAll(`${base}
      select ${groupCol} as g,
        count(*) filter (where created_at >= ${ts(v.from)} and created_at < ${ts(v.to)}) as created,
        count(*) filter (where kind = 'won' and entered_at >= ${ts(v.from)} and entered_at < ${ts(v.to)}) as won,
        count(*) filter (where kind = 'lost' and entered_at >= ${ts(v.from)} and entered_at < ${ts(v.to)}) as lost,
        coalesce(sum(amount) filter (where kind = 'won' and entered_at >= ${ts(v.from)} and entered_at < ${ts(v.to)}), 0) as won_amount,
        quantile_cont(epoch(entered_at) - epoch(created_at), 0.5) filter (where kind = 'won' and entered_at >= ${ts(v.from)} and entered_at < ${ts(v.to)}) as cycle_median,
        count(*) filter (where kind = 'open') as open_deals,
        count(*) filter (where kind = 'open' and (epoch(${ts(v.asOf)}) - epoch(entered_at)) > (select p90 from thr where thr.stage = d.stage and thr.c >= 5)) as stuck
        from cur d where true ${seg} group by 1 order by 1`);
    const conv = await this.conn.runAndReadAll(`${base}
      select ${v.byOwner ? 'd.owner' : `'total'`} as g, s.stage, s.pos,
             count(*) filter (where prev_same is null or prev_same < ${ts(v.from)}) as entered,
             count(*) filter (where (prev_same is null or prev_same < ${ts(v.from)}) and later_max > s.pos) as advanced,
             count(*) filter (where (prev_same is null or prev_same < ${ts(v.from)}) and next_kind = 'lost') as lost,
             count(next_at) as n,
             quantile_cont(epoch(next_at) - epoch(s.entered_at), 0.5) as median,
             quantile_cont(epoch(next_at) - epoch(s.entered_at), 0.9) as p90
        from seq s join deals d using (deal_id)
       where s.kind = 'open' and s.entered_at >= ${ts(v.from)} and s.entered_at < ${ts(v.to)} ${seg}
       group by 1, 2, 3 order by 1, 3`);
    const probs = await this.conn.runAndReadAll(`${base}
      , closed as (select deal_id, kind from cur d where kind <> 'open' ${seg})
      select v.stage, count(distinct v.deal_id) as closed, count(distinct v.deal_id) filter (where c.kind = 'won') as won
        from seq v join closed c using (deal_id) where v.kind = 'open' group by 1`);
    const seconds = (performance.now() - t0) / 1000;
    const head = rows.getRowObjects();
    const sum = (k: string) => head.reduce((s, r) => s + Number(r[k] ?? 0), 0);
    const convRows = conv.getRowObjects();
    void probs.getRowObjects();
    const perStage = (k: string) => STAGES.map((st) => convRows.filter((r) => r.stage === st).reduce((s, r) => s + Number(r[k] ?? 0), 0));
    return {
      seconds,
      figures: {
        deals_created: sum('created'),
        deals_won: sum('won'),
        deals_lost: sum('lost'),
        won_amount: sum('won_amount'),
        open_deals: sum('open_deals'),
        stuck_deals: sum('stuck'),
        entered: perStage('entered'),
        advanced: perStage('advanced'),
      },
    };
  }
}
