import sql, { raw, type Sql } from 'sql-template-tag';
import { z } from 'zod';

/**
 * A report's metrics, each declared once: its key, its zod schema (the report's schema, hence
 * its type and the OpenAPI document, is built from them), the SQL columns it adds to one of the
 * report's sources, how its value is assembled from them, and how the CLI prints it.
 *
 * Intuition. A source is one statement over one set of rows (the deals closed in the period, the
 * visits open at as-of); every metric reading that set adds its aggregate columns to it, so the
 * set is scanned once however many figures come out of it. Building the statements, running
 * them and assembling the figures are separate steps: the report runs the statements (and may
 * show them, `--explain`), the registry files their rows by group and assembles each group's
 * values in the metrics' order, a metric seeing the values of those declared before it
 * (a rate from two counts). Each report (funnel, channels, accounts, forecast) has its own
 * registry built on this.
 */

/** A text in both languages of the product. */
export interface Text {
  en: string;
  ru: string;
}
export const text = (en: string, ru: string): Text => ({ en, ru });

/** How the CLI writes each kind of value, in its language and the report's currency. */
export interface Formatters {
  /** A count, as a bare integer. */
  count(v: number): string;
  /** A number in the locale, one decimal at most; null as a dash (so for all below). */
  num(v: number | null): string;
  /** A fraction as a percentage. */
  pct(v: number | null): string;
  /** An exact amount (a sum of deals) in major units. */
  money(v: number | null): string;
  /** An estimate of money (an average, a weighted sum): whole units. */
  estimate(v: number | null): string;
}

/** A row of a source's statement: its group `g` and the columns its metrics asked for. */
export type SourceRow = { g: string | null } & Record<string, unknown>;

/**
 * One statement of a report. `R` is what the report computed before its statements (thresholds,
 * say) that a statement needs.
 */
export interface Source<Q, G, R> {
  readonly name: string;
  /** The column that names a row's part (a stage) where the statement answers one row per group and part. */
  readonly part?: string;
  /** The statement for a grouping; `columns` are the metrics' `expression as name`, to be joined by commas. */
  statement(q: Q, g: G, r: R, columns: Sql[]): Sql;
  /** The rows filed under the groups asked for, where the statement answers them otherwise. */
  spread?(q: Q, g: G, rows: SourceRow[]): SourceRow[];
}

export interface AssembleInput<Q, C, Prev> {
  q: Q;
  /** The group's context: what the report computed for it outside the statements. */
  c: C;
  /** The group's row of the metric's source (a source without parts); undefined when it has none. */
  row: SourceRow | undefined;
  /** The group's rows of the metric's source by part (a source with parts). */
  parts: ReadonlyMap<unknown, SourceRow>;
  /** The group's values of the metrics declared before this one. */
  kpis: Prev;
}

type Item<V> = V extends readonly (infer I)[] ? I : never;
type Cell<V, Prev> = (v: V, kpis: Prev, f: Formatters) => string;

/** How the CLI prints a metric; a metric printed nowhere (JSON only) says `{}`. */
export interface PrintSpec<V, Prev> {
  /**
   * In the summary of a report without groups: a label and a value on the line named `line`,
   * beside the other metrics of that line. Lines follow the order in which metrics first name them.
   */
  summary?: { line: string; label: Text; cell: Cell<V, Prev> };
  /** A column of the table of groups. */
  column?: { label: Text; cell: Cell<V, Prev> };
  /** For a value listing one item per part (stage): its columns in the table of parts. */
  parts?: { label: Text; cell: (item: Item<V>, f: Formatters) => string }[];
}

export interface MetricDef<Q, G, R, C, Prev, S extends z.ZodType> {
  schema: S;
  /** The source the metric reads and the columns it adds to it (a column of the same name and SQL is shared). */
  sql?: { source: Source<Q, G, R>; columns: (q: Q) => Record<string, Sql> };
  assemble(input: AssembleInput<Q, C, Prev>): z.output<S>;
  print: PrintSpec<z.output<S>, Prev>;
}

export interface Metric<Q, G, R, C> {
  key: string;
  // biome-ignore lint/suspicious/noExplicitAny: each metric checks its own types when it is added; here they are erased
  def: MetricDef<Q, G, R, C, any, z.ZodType<any>>;
}

/** What the statements answered for one group: per source, its rows by part (`null` without parts). */
export type GroupFigures = Map<string, Map<unknown, SourceRow>>;

/** A statement built for a grouping, ready to run. */
export interface Statement<Q, G, R> {
  source: Source<Q, G, R>;
  sql: Sql;
}

export interface RegistryOptions {
  /** The table of parts: its first column's label, and the key naming the part in each item. */
  parts?: { label: Text; key: string };
}

type Shape = Record<string, z.ZodType>;
const IDENT = /^[a-z_][a-z0-9_]*$/;
const NO_ROWS: ReadonlyMap<unknown, SourceRow> = new Map();

export class MetricRegistry<Q, G, R, C, S extends Shape = Record<never, never>> {
  /** The schema of one group's values: the metrics' schemas, in their order. */
  readonly schema: z.ZodObject<S>;

  private constructor(
    readonly metrics: readonly Metric<Q, G, R, C>[],
    readonly options: RegistryOptions,
  ) {
    this.schema = z.object(Object.fromEntries(metrics.map((m) => [m.key, m.def.schema])) as S);
  }

  static create<Q, G, R, C>(options: RegistryOptions = {}): MetricRegistry<Q, G, R, C> {
    return new MetricRegistry<Q, G, R, C>([], options);
  }

  /** The registry with one more metric, after the others (its place in the report, the schema and the CLI). */
  add<K extends string, T extends z.ZodType>(
    key: K,
    def: MetricDef<Q, G, R, C, z.output<z.ZodObject<S>>, T>,
  ): MetricRegistry<Q, G, R, C, S & Record<K, T>> {
    if (!IDENT.test(key) || this.metrics.some((m) => m.key === key)) throw new Error(`metric key "${key}" is not a new snake_case key`);
    return new MetricRegistry<Q, G, R, C, S & Record<K, T>>([...this.metrics, { key, def }], this.options);
  }

  /** The registry of these metrics alone, for a report built on a few of them: it runs only their sources. */
  pick(...keys: string[]): MetricRegistry<Q, G, R, C> {
    const unknown = keys.filter((k) => !this.metrics.some((m) => m.key === k));
    if (unknown.length) throw new Error(`no metrics ${unknown.join(', ')}`);
    return new MetricRegistry<Q, G, R, C>(
      this.metrics.filter((m) => keys.includes(m.key)),
      this.options,
    );
  }

  /** The statements for a grouping: one per source the metrics read, in order of first use, with their columns in metric order. */
  statements(q: Q, g: G, r: R): Statement<Q, G, R>[] {
    const bySource = new Map<Source<Q, G, R>, Map<string, Sql>>();
    for (const { key, def } of this.metrics) {
      if (!def.sql) continue;
      const { source } = def.sql;
      const cols = bySource.get(source) ?? new Map<string, Sql>();
      bySource.set(source, cols);
      for (const [name, expr] of Object.entries(def.sql.columns(q))) {
        const prior = cols.get(name);
        if (!IDENT.test(name) || name === 'g' || name === source.part)
          throw new Error(`metric ${key}: column "${name}" of source ${source.name} is not a free snake_case name`);
        if (prior && (prior.text !== expr.text || JSON.stringify(prior.values) !== JSON.stringify(expr.values)))
          throw new Error(`metric ${key}: column "${name}" of source ${source.name} differs from the one already declared`);
        cols.set(name, expr);
      }
    }
    return [...bySource].map(([source, cols]) => ({
      source,
      sql: source.statement(
        q,
        g,
        r,
        [...cols].map(([name, expr]) => sql`${expr} as ${raw(name)}`),
      ),
    }));
  }

  /**
   * Files the statements' rows by group (groups in order of first appearance, `keys` first) and
   * part, spreading them where a source says so.
   */
  collect(q: Q, g: G, results: { source: Source<Q, G, R>; rows: SourceRow[] }[], keys: Iterable<string | null> = []) {
    const out = new Map<string | null, GroupFigures>();
    const at = (k: string | null) => {
      let f = out.get(k);
      if (!f) {
        f = new Map();
        out.set(k, f);
      }
      return f;
    };
    for (const k of keys) at(k);
    for (const { source, rows } of results) {
      for (const row of source.spread ? source.spread(q, g, rows) : rows) {
        const f = at(row.g);
        let byPart = f.get(source.name);
        if (!byPart) {
          byPart = new Map();
          f.set(source.name, byPart);
        }
        byPart.set(source.part ? row[source.part] : null, row);
      }
    }
    return out;
  }

  /** One group's values, every metric in order; a group without rows gets each metric's empty value. */
  assemble(q: Q, c: C, figures: GroupFigures | undefined): z.output<z.ZodObject<S>> {
    const kpis: Record<string, unknown> = {};
    for (const { key, def } of this.metrics) {
      const rows = def.sql ? figures?.get(def.sql.source.name) : undefined;
      kpis[key] = def.assemble({ q, c, row: rows?.get(null), parts: rows ?? NO_ROWS, kpis });
    }
    return kpis as z.output<z.ZodObject<S>>;
  }

  /** What the CLI prints of one group's values, cell by cell, as each metric's `print` says. */
  cells(kpis: z.output<z.ZodObject<S>>, f: Formatters): PrintedCells {
    const values = kpis as Record<string, unknown>;
    const lines = new Map<string, LabelledCell[]>();
    const columns: LabelledCell[] = [];
    const partColumns: { label: Text; cells: string[] }[] = [];
    let names: string[] | null = null;
    for (const { key, def } of this.metrics) {
      const v = values[key];
      const { summary, column, parts } = def.print;
      if (summary) lines.set(summary.line, [...(lines.get(summary.line) ?? []), { label: summary.label, cell: summary.cell(v, kpis, f) }]);
      if (column) columns.push({ label: column.label, cell: column.cell(v, kpis, f) });
      if (parts) {
        const items = v as Record<string, unknown>[];
        const nameKey = this.options.parts?.key;
        names ??= items.map((item) => String(nameKey ? item[nameKey] : ''));
        for (const c of parts) partColumns.push({ label: c.label, cells: items.map((item) => c.cell(item, f)) });
      }
    }
    return {
      summary: [...lines.values()],
      columns,
      parts: { label: this.options.parts?.label ?? text('', ''), names: names ?? [], columns: partColumns },
    };
  }
}

export interface LabelledCell {
  label: Text;
  cell: string;
}

export interface PrintedCells {
  /** The summary's lines, each with its labelled cells. */
  summary: LabelledCell[][];
  /** The group's row of the table of groups. */
  columns: LabelledCell[];
  /** The table of parts: the parts' names and a column per printed field. */
  parts: { label: Text; names: string[]; columns: { label: Text; cells: string[] }[] };
}
