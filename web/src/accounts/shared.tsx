import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, ApiError, api, type Me } from '../api';

/** The server's own shapes (web/src/generated/api-types.ts). */
export type AccountsReport = Answer<'/api/v1/reports/accounts', 'get'>;
export type AccountsGrouped = Extract<AccountsReport, { groups: unknown }>;
export type AccountsFlat = Exclude<AccountsReport, { groups: unknown }>;
export type AccountKpis = AccountsGrouped['total'];
export type AccountGroup = AccountsGrouped['groups'][number];
export type Contract = Answer<'/api/v1/contracts/{id}', 'get'>;
export type Renewals = Answer<'/api/v1/renewals', 'get'>;
export type RenewalItem = Renewals['items'][number];
export type CompanyAccount = Answer<'/api/v1/companies/{id}/account', 'get'>;
export type ServiceCase = Answer<'/api/v1/cases/{id}', 'get'>;
export type CasePage = Answer<'/api/v1/cases', 'get'>;
export type ProductGroup = Answer<'/api/v1/product-groups/{id}', 'get'>;
export type ChurnReason = Answer<'/api/v1/churn-reasons/{id}', 'get'>;
export type AccountSettings = Answer<'/api/v1/accounts/settings', 'get'>;

export const CASE_KINDS = ['complaint', 'claim', 'question', 'praise'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];
export const CASE_STATUSES = ['open', 'in_progress', 'resolved', 'rejected'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export const RECORDER_ROLES = ['service', 'sales'] as const;

/** Who keeps product groups, churn reasons and the settings (the server checks the same: accountsConfigGuard). */
export function canEditAccountSettings(me: Me): boolean {
  return me.user.role === 'admin' || me.user.role === 'head_of_sales';
}

/** Whether the role sees contracts at all (the marketer does not: src/platform/auth/access.ts). */
export function seesContracts(me: Me): boolean {
  return me.user.role !== 'marketer';
}

export function useProductGroups() {
  return useQuery({
    queryKey: ['product-groups'],
    queryFn: () => api<{ items: ProductGroup[] }>('/product-groups?limit=500&sort=position'),
    staleTime: 60_000,
  });
}

export function useChurnReasons() {
  return useQuery({
    queryKey: ['churn-reasons'],
    queryFn: () => api<{ items: ChurnReason[] }>('/churn-reasons?limit=500&sort=position'),
    staleTime: 60_000,
  });
}

/**
 * A refused write, for a form: the server's message by field (shown next to it), the rest as one
 * general message, and whether it was a version conflict (someone else changed the record: the
 * form says so and offers to reload).
 */
export interface Problem {
  fields: Record<string, string>;
  general: string | null;
  conflict: boolean;
}

export const NO_PROBLEM: Problem = { fields: {}, general: null, conflict: false };

export function problemOf(e: unknown, shown: readonly string[], t: TFunction): Problem {
  if (!(e instanceof ApiError)) return { fields: {}, general: (e as Error)?.message ?? String(e), conflict: false };
  if (e.code === 'VERSION_CONFLICT') return { fields: {}, general: t('acc.conflict'), conflict: true };
  const fields: Record<string, string> = {};
  const other: string[] = [];
  for (const f of e.fields) {
    const name = shown.find((s) => f.field === s || f.field.endsWith(`.${s}`));
    if (name) fields[name] ??= f.message;
    else other.push(f.field ? `${f.field}: ${f.message}` : f.message);
  }
  const general = other.length ? other.join('; ') : e.fields.length === 0 ? e.message : null;
  return { fields, general, conflict: false };
}

/** The general message of a refused write and, for a conflict, the button that reloads what is on screen. */
export function ProblemLine({ problem, testId }: { problem: Problem; testId?: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  if (!problem.general) return null;
  return (
    <p className="field-error acc-problem" role="alert" data-testid={testId}>
      {problem.general}{' '}
      {problem.conflict && (
        <button type="button" className="link" onClick={() => qc.invalidateQueries()}>
          {t('acc.reload')}
        </button>
      )}
    </p>
  );
}

/** A field's error from the server, tied to its control by id. */
export function FieldProblem({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <span className="field-error" id={id}>
      {message}
    </span>
  );
}

/**
 * A contract's MRR as typed, in `currency`: the label, the input, the hint (if any) and the error,
 * which the input is described by (the hint while there is none).
 */
export function MrrField({
  inputId,
  errorId,
  hintId,
  hint,
  label,
  currency,
  value,
  onChange,
  error,
  testId,
}: {
  inputId: string;
  errorId: string;
  hintId?: string;
  hint?: ReactNode;
  label: string;
  currency: string;
  value: string;
  onChange: (value: string) => void;
  error: string | undefined;
  testId: string;
}) {
  return (
    <div className="field">
      <label htmlFor={inputId}>
        {label}, {currency}
      </label>
      <input
        id={inputId}
        inputMode="decimal"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : hintId}
        data-testid={testId}
      />
      {hint !== undefined && (
        <span className="field-hint muted small" id={hintId}>
          {hint}
        </span>
      )}
      <FieldProblem id={errorId} message={error} />
    </div>
  );
}

/** A dialog form's buttons: Cancel, and the submit button (off while it saves). */
export function DialogActions({
  onCancel,
  saving,
  submit,
  testId,
}: {
  onCancel: () => void;
  saving: boolean;
  submit: string;
  testId: string;
}) {
  const { t } = useTranslation();
  return (
    <div className="actions">
      <button type="button" onClick={onCancel}>
        {t('common.cancel')}
      </button>
      <button type="submit" className="primary" disabled={saving} data-testid={testId}>
        {submit}
      </button>
    </div>
  );
}

export function ContractStatus({ status }: { status: Contract['status'] }) {
  const { t } = useTranslation();
  const tone = status === 'active' || status === 'renewed' ? ' won' : status === 'churned' ? ' lost' : status === 'ended' ? ' warn' : '';
  return <span className={`badge${tone}`}>{t(`acc.contractStatus.${status}`)}</span>;
}

/** Whether a contract can still be renewed or marked churned (not yet renewed, not churned, started). */
export function actionable(c: Pick<Contract, 'status' | 'renewed_by_id' | 'churned_at'>): boolean {
  return (c.status === 'active' || c.status === 'ended') && c.renewed_by_id === null && c.churned_at === null;
}

/**
 * Whether the person may renew or churn the contract (the server has the last word): the admin and
 * the head of sales any, a team lead their team's (the server knows the team), a manager their own.
 */
export function mayChangeContract(me: Me, c: Pick<Contract, 'owner_id'>): boolean {
  const r = me.user.role;
  if (r === 'admin' || r === 'head_of_sales' || r === 'team_lead') return true;
  return r === 'manager' && c.owner_id === me.user.id;
}

/** The problem without a field's error: the person is correcting that field. */
export function withoutField(p: Problem, name: string): Problem {
  if (!(name in p.fields)) return p;
  const { [name]: _, ...fields } = p.fields;
  return { ...p, fields };
}
