import type { Sql } from 'sql-template-tag';
import type { Engine, Queryable } from '../../platform/db/types.ts';

export interface ExplainedStatement {
  /** What the statement computes (the report's source or step). */
  name: string;
  sql: string;
  params: unknown[];
  ms: number;
  rows: number;
}

/** The statements behind a report, beside it when asked (`--explain`). */
export interface Explain {
  engine: Engine;
  /** The whole report, statements and assembly. */
  total_ms: number;
  statements: ExplainedStatement[];
}

const ms = (t0: number) => Math.round((performance.now() - t0) * 100) / 100;

/** Records every statement a report runs, with its time and row count. */
export class StatementLog {
  private readonly statements: ExplainedStatement[] = [];
  private readonly t0 = performance.now();

  constructor(private readonly engine: Engine) {}

  /** `tx`, recording each statement it runs under `name`. */
  on(tx: Queryable, name: string): Queryable {
    const record = async <T>(q: Sql | string, values: readonly unknown[] | undefined, run: () => Promise<T>, count: (r: T) => number) => {
      const t0 = performance.now();
      const result = await run();
      this.statements.push({
        name,
        sql: typeof q === 'string' ? q : q.text,
        params: [...(typeof q === 'string' ? (values ?? []) : q.values)],
        ms: ms(t0),
        rows: count(result),
      });
      return result;
    };
    return {
      engine: tx.engine,
      query: <R>(q: Sql | string, values?: readonly unknown[]) =>
        record(
          q,
          values,
          () => tx.query<R>(q, values),
          (r) => r.length,
        ),
      run: (q, values) =>
        record(
          q,
          values,
          () => tx.run(q, values),
          (n) => n,
        ),
      exec: (script) =>
        record(
          script,
          undefined,
          () => tx.exec(script),
          () => 0,
        ),
      copyFrom: (copySql, path, end) => tx.copyFrom(copySql, path, end),
    };
  }

  result(): Explain {
    return { engine: this.engine, total_ms: ms(this.t0), statements: this.statements };
  }
}
