import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { Modal } from '../components';
import { money, moneyInputValue, parseMoneyInput } from '../format';
import { isoDayText } from '../time/zone';
import {
  type Contract,
  DialogActions,
  FieldProblem,
  MrrField,
  NO_PROBLEM,
  type Problem,
  ProblemLine,
  problemOf,
  useChurnReasons,
  useProductGroups,
  withoutField,
} from './shared';

/** What the actions need of a contract: a renewal item and the account view's contracts both have it. */
export type ContractRef = Pick<Contract, 'id' | 'version' | 'company' | 'product_group' | 'product_group_id' | 'mrr_minor' | 'end_date'>;

/**
 * The three actions on a contract that ends: Renew (one click: the next contract from its end, as
 * long, same amount), Renew with a change (the new MRR, maybe another product group) and Mark
 * churned (a reason from the workspace's list). What happened is said in `onDone`'s message; a
 * refusal is shown next to the buttons (a conflict offers to reload).
 */
export function ContractActions({
  contract,
  currency,
  onDone,
}: {
  contract: ContractRef;
  currency: string;
  onDone: (message: string) => void;
}) {
  const { t, i18n } = useTranslation();
  const [dialog, setDialog] = useState<'change' | 'churn' | null>(null);
  const [problem, setProblem] = useState<Problem>(NO_PROBLEM);
  const what = `${contract.company}, ${contract.product_group}`;
  const renew = useMutation({
    mutationFn: () => api<Contract>(`/contracts/${contract.id}/renew`, { method: 'POST', body: { version: contract.version } }),
    onSuccess: (next) => {
      setProblem(NO_PROBLEM);
      onDone(
        t('acc.actions.renewed', {
          company: contract.company,
          product: contract.product_group,
          end: isoDayText(next.end_date, i18n.language),
        }),
      );
    },
    onError: (e) => setProblem(problemOf(e, [], t)),
  });
  return (
    <div className="acc-actions">
      <button
        type="button"
        className="primary"
        onClick={() => renew.mutate()}
        disabled={renew.isPending}
        aria-label={`${t('acc.actions.renew')}: ${what}`}
        data-testid={`renew-${contract.id}`}
      >
        {t('acc.actions.renew')}
      </button>
      <button
        type="button"
        onClick={() => setDialog('change')}
        aria-label={`${t('acc.actions.renewChange')}: ${what}`}
        data-testid={`renew-change-${contract.id}`}
      >
        {t('acc.actions.renewChange')}
      </button>
      <button
        type="button"
        onClick={() => setDialog('churn')}
        aria-label={`${t('acc.actions.churn')}: ${what}`}
        data-testid={`churn-${contract.id}`}
      >
        {t('acc.actions.churn')}
      </button>
      <ProblemLine problem={problem} testId={`contract-problem-${contract.id}`} />
      {dialog === 'change' && (
        <RenewDialog
          contract={contract}
          currency={currency}
          onClose={() => setDialog(null)}
          onDone={(m) => {
            setDialog(null);
            onDone(m);
          }}
        />
      )}
      {dialog === 'churn' && (
        <ChurnDialog
          contract={contract}
          onClose={() => setDialog(null)}
          onDone={(m) => {
            setDialog(null);
            onDone(m);
          }}
        />
      )}
    </div>
  );
}

function RenewDialog({
  contract,
  currency,
  onClose,
  onDone,
}: {
  contract: ContractRef;
  currency: string;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const { t, i18n } = useTranslation();
  const id = useId();
  const groups = useProductGroups();
  const [mrr, setMrr] = useState(moneyInputValue(contract.mrr_minor, currency));
  const [group, setGroup] = useState(String(contract.product_group_id));
  const [problem, setProblem] = useState<Problem>(NO_PROBLEM);
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<Contract>(`/contracts/${contract.id}/renew`, { method: 'POST', body }),
    onSuccess: (next) =>
      onDone(
        t('acc.actions.renewed', { company: next.company, product: next.product_group, end: isoDayText(next.end_date, i18n.language) }),
      ),
    onError: (e) => setProblem(problemOf(e, ['mrr_minor', 'product_group_id'], t)),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    let minor: number;
    try {
      minor = parseMoneyInput(mrr, currency);
    } catch (err) {
      setProblem({ ...NO_PROBLEM, fields: { mrr_minor: (err as Error).message } });
      return;
    }
    setProblem(NO_PROBLEM);
    save.mutate({
      version: contract.version,
      mrr_minor: minor,
      ...(Number(group) !== contract.product_group_id ? { product_group_id: Number(group) } : {}),
    });
  };
  const offered = (groups.data?.items ?? []).filter((g) => g.active || g.id === contract.product_group_id);
  return (
    <Modal
      title={t('acc.actions.renewTitle', { company: contract.company, product: contract.product_group })}
      onClose={onClose}
      testId="renew-dialog"
    >
      <form className="form" onSubmit={submit} noValidate>
        <MrrField
          inputId={`${id}-mrr`}
          errorId={`${id}-mrr-error`}
          hintId={`${id}-mrr-hint`}
          hint={t('acc.actions.mrrNow', { mrr: money(contract.mrr_minor, currency) })}
          label={t('acc.actions.mrr')}
          currency={currency}
          value={mrr}
          onChange={(v) => {
            setMrr(v);
            setProblem((p) => withoutField(p, 'mrr_minor'));
          }}
          error={problem.fields.mrr_minor}
          testId="renew-mrr"
        />
        <div className="field">
          <label htmlFor={`${id}-group`}>{t('acc.actions.product')}</label>
          <select
            id={`${id}-group`}
            value={group}
            onChange={(e) => {
              setGroup(e.target.value);
              setProblem((p) => withoutField(p, 'product_group_id'));
            }}
            aria-invalid={problem.fields.product_group_id ? true : undefined}
            aria-describedby={problem.fields.product_group_id ? `${id}-group-error` : undefined}
          >
            {offered.length === 0 && <option value={String(contract.product_group_id)}>{contract.product_group}</option>}
            {offered.map((g) => (
              <option key={g.id} value={String(g.id)}>
                {g.name}
              </option>
            ))}
          </select>
          <FieldProblem id={`${id}-group-error`} message={problem.fields.product_group_id} />
        </div>
        <ProblemLine problem={problem} testId="renew-problem" />
        <DialogActions onCancel={onClose} saving={save.isPending} submit={t('acc.actions.saveRenew')} testId="renew-save" />
      </form>
    </Modal>
  );
}

function ChurnDialog({ contract, onClose, onDone }: { contract: ContractRef; onClose: () => void; onDone: (message: string) => void }) {
  const { t, i18n } = useTranslation();
  const id = useId();
  const reasons = useChurnReasons();
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<Problem>(NO_PROBLEM);
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<Contract>(`/contracts/${contract.id}/churn`, { method: 'POST', body }),
    onSuccess: (c) => onDone(t('acc.actions.churned', { company: c.company, product: c.product_group })),
    onError: (e) => setProblem(problemOf(e, ['reason_id', 'note'], t)),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!reason) {
      setProblem({ ...NO_PROBLEM, fields: { reason_id: t('acc.actions.chooseReason') } });
      return;
    }
    setProblem(NO_PROBLEM);
    save.mutate({ version: contract.version, reason_id: Number(reason), note: note.trim() || null });
  };
  const ru = i18n.language === 'ru';
  return (
    <Modal
      title={t('acc.actions.churnTitle', { company: contract.company, product: contract.product_group })}
      onClose={onClose}
      testId="churn-dialog"
    >
      <form className="form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${id}-reason`}>{t('acc.actions.reason')}</label>
          <select
            id={`${id}-reason`}
            value={reason}
            onChange={(e) => {
              setReason(e.target.value);
              setProblem((p) => withoutField(p, 'reason_id'));
            }}
            aria-invalid={problem.fields.reason_id ? true : undefined}
            aria-describedby={problem.fields.reason_id ? `${id}-reason-error` : undefined}
            data-testid="churn-reason"
          >
            <option value="">{t('acc.actions.chooseReason')}</option>
            {(reasons.data?.items ?? [])
              .filter((r) => r.active)
              .map((r) => (
                <option key={r.id} value={String(r.id)}>
                  {ru ? r.name_ru : r.name_en}
                </option>
              ))}
          </select>
          <FieldProblem id={`${id}-reason-error`} message={problem.fields.reason_id} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-note`}>{t('acc.actions.note')}</label>
          <textarea id={`${id}-note`} rows={2} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />
          <FieldProblem id={`${id}-note-error`} message={problem.fields.note} />
        </div>
        <ProblemLine problem={problem} testId="churn-problem" />
        <DialogActions onCancel={onClose} saving={save.isPending} submit={t('acc.actions.saveChurn')} testId="churn-save" />
      </form>
    </Modal>
  );
}
