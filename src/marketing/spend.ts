import sql from 'sql-template-tag';
import { z } from 'zod';
import { workspaceCurrency } from '../crm/deals.ts';
import { audit } from '../platform/audit.ts';
import type { Principal } from '../platform/auth/roles.ts';
import type { Queryable } from '../platform/db/types.ts';
import { AppError, type FieldIssue, fieldIssue, validationError } from '../platform/errors.ts';
import { decimalToMinor, minorDigits, parseAmount, toMajor } from '../platform/money.ts';

/**
 * Spend per channel and calendar month (kpi.md: `spend`), upserted by (channel, month), every
 * change written to the audit log. Months are `YYYY-MM`; amounts are major units, never negative.
 */

/** Who may enter spend and ICP rules: the people who answer for marketing's budget. */
export function marketingGuard(p: Principal, action: 'read' | 'write') {
  const ok = action === 'read' ? p.role !== 'service' : ['admin', 'head_of_sales', 'marketer'].includes(p.role);
  if (!ok)
    throw new AppError('FORBIDDEN', {
      en:
        action === 'read'
          ? 'your role cannot see marketing spend'
          : 'only an admin, the head of sales or a marketer can change spend and ICP rules',
      ru:
        action === 'read'
          ? 'ваша роль не позволяет видеть маркетинговые расходы'
          : 'менять расходы и правила ICP может администратор, РОП или маркетолог',
    });
}

export const MONTH_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;

export const spendRowSchema = z.object({
  channel_id: z.number().int(),
  channel: z.string(),
  month: z.string().describe('YYYY-MM'),
  amount: z.number().describe('Major units'),
  version: z.number().int(),
  updated_at: z.string(),
});
export type SpendRow = z.infer<typeof spendRowSchema>;

export const spendInputSchema = z.strictObject({
  channel: z.union([z.string().min(1).max(200), z.number().int().positive()]).describe('Channel name or id'),
  month: z.string().max(20).describe('YYYY-MM'),
  amount: z.union([z.number(), z.string().max(40)]).describe('Major units: a number, or text as typed (1 234,56)'),
  /** The version read, for an edit of an existing entry (a stale one answers 409). */
  version: z.number().int().positive().optional(),
});
export type SpendInput = z.infer<typeof spendInputSchema>;

/** `YYYY-MM` → the first day, or an issue naming the field and the value. */
export function parseMonth(raw: string, field: string): { ok: true; day: string } | { ok: false; issue: FieldIssue } {
  const m = MONTH_RE.exec(raw.trim());
  if (!m)
    return {
      ok: false,
      issue: fieldIssue(
        field,
        `"${raw}" is not a month: use YYYY-MM, e.g. 2025-03`,
        `«${raw}» — не месяц: используйте ГГГГ-ММ, например 2025-03`,
      ),
    };
  return { ok: true, day: `${m[1]}-${m[2]}-01` };
}

/** An amount as given (number or text) → minor units, or an issue: negative, not a number, too many decimals. */
export function parseSpendAmount(
  raw: number | string,
  currency: string,
  field: string,
  locale: 'ru' | 'en' = 'ru',
): { ok: true; minor: number } | { ok: false; issue: FieldIssue } {
  const text = typeof raw === 'number' ? String(raw) : raw.trim();
  if (/^-/.test(text) || (typeof raw === 'number' && raw < 0))
    return {
      ok: false,
      issue: fieldIssue(field, `spend cannot be negative: "${text}"`, `расход не может быть отрицательным: «${text}»`, 'negative'),
    };
  const r = typeof raw === 'number' ? decimalToMinor(text, currency) : parseAmount(text, currency, locale);
  if (r.ok) return r;
  const digits = minorDigits(currency);
  const why =
    r.problem === 'too_many_decimals'
      ? { en: `more than ${digits} decimals for ${currency}`, ru: `больше ${digits} знаков после запятой для ${currency}` }
      : r.problem === 'too_large'
        ? { en: 'too large', ru: 'слишком большая сумма' }
        : { en: 'not an amount', ru: 'не сумма' };
  return { ok: false, issue: fieldIssue(field, `"${text}": ${why.en}`, `«${text}»: ${why.ru}`) };
}

/** A channel by name (case-insensitive) or id, or an issue listing the known ones. */
export async function findChannel(
  tx: Queryable,
  ws: number,
  ref: string | number,
  field: string,
): Promise<{ ok: true; id: number; name: string } | { ok: false; issue: FieldIssue }> {
  const key = String(ref).trim();
  const [c] = await tx.query<{ id: number; name: string }>(
    sql`select id, name from channels where workspace_id = ${ws} and (lower(name) = lower(${key}) or id::text = ${key}) order by id limit 1`,
  );
  if (c) return { ok: true, id: Number(c.id), name: c.name };
  const known = (await tx.query<{ name: string }>(sql`select name from channels where workspace_id = ${ws} order by name limit 30`)).map(
    (r) => r.name,
  );
  return {
    ok: false,
    issue: fieldIssue(
      field,
      `no channel "${key}" in this workspace${known.length ? ` (known: ${known.join(', ')})` : ''}`,
      `в пространстве нет канала «${key}»${known.length ? ` (есть: ${known.join(', ')})` : ''}`,
      'not_found',
    ),
  };
}

/** The spend entries of months in [fromMonth, toMonth] (inclusive, `YYYY-MM`), by month then channel. */
export async function listSpend(tx: Queryable, ws: number, range: { from?: string; to?: string }): Promise<SpendRow[]> {
  const issues: FieldIssue[] = [];
  const from = range.from ? parseMonth(range.from, 'from') : null;
  const to = range.to ? parseMonth(range.to, 'to') : null;
  if (from && !from.ok) issues.push(from.issue);
  if (to && !to.ok) issues.push(to.issue);
  if (issues.length) throw validationError(issues);
  const currency = await workspaceCurrency(tx, ws);
  const rows = await tx.query<{
    channel_id: number;
    channel: string;
    month: string;
    amount_minor: number;
    version: number;
    updated_at: Date;
  }>(sql`
    select s.channel_id, c.name as channel, to_char(s.month, 'YYYY-MM') as month, s.amount_minor, s.version, s.updated_at
      from marketing_spend s join channels c on c.workspace_id = s.workspace_id and c.id = s.channel_id
     where s.workspace_id = ${ws}
       and (${from?.ok ? from.day : null}::date is null or s.month >= ${from?.ok ? from.day : null}::date)
       and (${to?.ok ? to.day : null}::date is null or s.month <= ${to?.ok ? to.day : null}::date)
     order by s.month, c.name`);
  return rows.map((r) => ({
    channel_id: Number(r.channel_id),
    channel: r.channel,
    month: r.month,
    amount: toMajor(Number(r.amount_minor), currency),
    version: r.version,
    updated_at: r.updated_at.toISOString(),
  }));
}

export interface SpendResult {
  created: number;
  updated: number;
  unchanged: number;
}

/**
 * Upserts entries by (channel, month) in the caller's transaction: all are checked first (each
 * issue names `entries.N.field` or the CSV line via `fieldOf`), then written; a stale `version`
 * answers 409. Every created or changed entry is audited (entity `marketing_spend`).
 */
export async function upsertSpend(
  tx: Queryable,
  ws: number,
  entries: SpendInput[],
  by: { userId: number | null; at: Date; locale?: 'ru' | 'en' },
  fieldOf: (i: number, field: string) => string = (i, f) => `entries.${i}.${f}`,
): Promise<SpendResult> {
  const currency = await workspaceCurrency(tx, ws);
  const issues: FieldIssue[] = [];
  const parsed: { channelId: number; channel: string; day: string; month: string; minor: number; version?: number }[] = [];
  const seen = new Map<string, number>();
  for (const [i, e] of entries.entries()) {
    const ch = await findChannel(tx, ws, e.channel, fieldOf(i, 'channel'));
    const mo = parseMonth(e.month, fieldOf(i, 'month'));
    const am = parseSpendAmount(e.amount, currency, fieldOf(i, 'amount'), by.locale);
    if (!ch.ok) issues.push(ch.issue);
    if (!mo.ok) issues.push(mo.issue);
    if (!am.ok) issues.push(am.issue);
    if (ch.ok && mo.ok && am.ok) {
      const key = `${ch.id}|${mo.day}`;
      const before = seen.get(key);
      if (before !== undefined)
        issues.push(
          fieldIssue(
            fieldOf(i, 'month'),
            `${ch.name} ${e.month} is given twice (also at ${fieldOf(before, 'month')})`,
            `${ch.name} ${e.month} указан дважды (ещё в ${fieldOf(before, 'month')})`,
            'duplicate',
          ),
        );
      seen.set(key, i);
      parsed.push({ channelId: ch.id, channel: ch.name, day: mo.day, month: e.month.trim(), minor: am.minor, version: e.version });
    }
    if (issues.length >= 50) break;
  }
  if (issues.length) throw validationError(issues);
  const result: SpendResult = { created: 0, updated: 0, unchanged: 0 };
  for (const e of parsed) {
    const [cur] = await tx.query<{ amount_minor: number; version: number }>(
      sql`select amount_minor, version from marketing_spend where workspace_id = ${ws} and channel_id = ${e.channelId} and month = ${e.day}::date for update`,
    );
    if (cur && e.version !== undefined && cur.version !== e.version)
      throw new AppError('VERSION_CONFLICT', {
        en: `spend of ${e.channel} for ${e.month} was changed by someone else (version ${cur.version}, you read ${e.version}): reload it`,
        ru: `расход ${e.channel} за ${e.month} уже изменил кто-то другой (версия ${cur.version}, у вас ${e.version}): обновите`,
      });
    if (cur && Number(cur.amount_minor) === e.minor) {
      result.unchanged++;
      continue;
    }
    if (cur) {
      await tx.query(
        sql`update marketing_spend set amount_minor = ${e.minor}, updated_at = ${by.at}, version = version + 1
             where workspace_id = ${ws} and channel_id = ${e.channelId} and month = ${e.day}::date`,
      );
      result.updated++;
    } else {
      await tx.query(
        sql`insert into marketing_spend (workspace_id, channel_id, month, amount_minor, created_at, updated_at)
            values (${ws}, ${e.channelId}, ${e.day}::date, ${e.minor}, ${by.at}, ${by.at})`,
      );
      result.created++;
    }
    await audit(tx, {
      workspaceId: ws,
      userId: by.userId,
      entity: 'marketing_spend',
      entityId: e.channelId,
      action: cur ? 'update' : 'create',
      at: by.at,
      changes: {
        month: { from: cur ? e.month : null, to: e.month },
        amount: { from: cur ? toMajor(Number(cur.amount_minor), currency) : null, to: toMajor(e.minor, currency) },
      },
      version: cur ? cur.version + 1 : 1,
    });
  }
  return result;
}

/** Removes one entry (a month entered by mistake), audited. */
export async function deleteSpend(
  tx: Queryable,
  ws: number,
  channel: string | number,
  month: string,
  by: { userId: number | null; at: Date },
): Promise<boolean> {
  const ch = await findChannel(tx, ws, channel, 'channel');
  const mo = parseMonth(month, 'month');
  const issues = [...(ch.ok ? [] : [ch.issue]), ...(mo.ok ? [] : [mo.issue])];
  if (issues.length || !ch.ok || !mo.ok) throw validationError(issues);
  const currency = await workspaceCurrency(tx, ws);
  const [gone] = await tx.query<{ amount_minor: number; version: number }>(
    sql`delete from marketing_spend where workspace_id = ${ws} and channel_id = ${ch.id} and month = ${mo.day}::date returning amount_minor, version`,
  );
  if (!gone) return false;
  await audit(tx, {
    workspaceId: ws,
    userId: by.userId,
    entity: 'marketing_spend',
    entityId: ch.id,
    action: 'delete',
    at: by.at,
    changes: { month: { from: month, to: null }, amount: { from: toMajor(Number(gone.amount_minor), currency), to: null } },
  });
  return true;
}
