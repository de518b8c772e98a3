import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, ApiError, api, type FieldDef, type Me, type Missing, type Named, type Page } from '../api';
import { Modal } from '../components';
import { parseMoneyInput } from '../format';

export function useDealFieldDefs() {
  return useQuery({
    queryKey: ['deal-fields'],
    queryFn: () => api<Page<FieldDef>>('/custom-fields?object_type=deal&limit=500'),
    staleTime: 300_000,
  });
}

/** A picker for a reference: type to search, choose from the results. */
function RefPicker({
  path,
  value,
  onChange,
  label,
  extra = '',
}: {
  path: string;
  value: string;
  onChange: (v: string) => void;
  label: string;
  extra?: string;
}) {
  const [q, setQ] = useState('');
  const { t } = useTranslation();
  const list = useQuery({
    queryKey: ['pick', path, q, extra],
    queryFn: () =>
      api<Page<Named & { title?: string }>>(`/${path}?limit=30${q.trim() ? `&q=${encodeURIComponent(q.trim())}` : ''}${extra}`),
  });
  return (
    <div className="picker">
      <input
        type="search"
        placeholder={`${t('common.search')}…`}
        value={q}
        onChange={(e) => setQ(e.target.value)}
        aria-label={`${label}: ${t('common.search')}`}
      />
      <select
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-label={label}
        required
        size={Math.min(6, Math.max(2, (list.data?.items.length ?? 0) + 1))}
      >
        <option value="">—</option>
        {(list.data?.items ?? []).map((o) => (
          <option key={o.id} value={o.id}>
            {o.name ?? o.title}
          </option>
        ))}
      </select>
    </div>
  );
}

/** One input for a deal field (standard or custom), returning the API value. */
export function FieldInput({
  field,
  label,
  value,
  onChange,
  defs,
  companyId,
}: {
  field: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  defs: FieldDef[];
  companyId?: string;
  /** The workspace currency (the amount is read in it when the form is sent: toSet). */
  currency: string;
}) {
  const { i18n } = useTranslation();
  const id = `f-${field}`;
  let input: React.ReactNode;
  if (field === 'company_id') input = <RefPicker path="companies" value={value} onChange={onChange} label={label} />;
  else if (field === 'contact_id')
    input = (
      <RefPicker path="contacts" value={value} onChange={onChange} label={label} extra={companyId ? `&company_id=${companyId}` : ''} />
    );
  else if (field === 'lead_id') input = <RefPicker path="leads" value={value} onChange={onChange} label={label} />;
  else if (field === 'segment_id') input = <RefPicker path="segments" value={value} onChange={onChange} label={label} />;
  else if (field === 'channel_id') input = <RefPicker path="channels" value={value} onChange={onChange} label={label} />;
  else if (field === 'amount_minor')
    input = (
      <input
        id={id}
        type="text"
        inputMode="decimal"
        autoComplete="off"
        placeholder={i18n.language === 'ru' ? '1 234 567,89' : '1,234,567.89'}
        required
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  else if (field.startsWith('custom.')) {
    const def = defs.find((d) => d.key === field.slice(7));
    if (def?.type === 'choice') {
      input = (
        <select id={id} required value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">—</option>
          {def.choices.map((c) => (
            <option key={c.value} value={c.value}>
              {i18n.language === 'ru' ? c.label_ru : c.label_en}
            </option>
          ))}
        </select>
      );
    } else if (def?.type === 'date')
      input = <input id={id} type="date" required value={value} onChange={(e) => onChange(e.target.value)} />;
    else if (def?.type === 'number' || def?.type === 'money')
      input = (
        <input
          id={id}
          type="text"
          inputMode="decimal"
          autoComplete="off"
          required
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      );
    else input = <input id={id} type="text" required value={value} onChange={(e) => onChange(e.target.value)} />;
  } else input = <input id={id} type="text" required value={value} onChange={(e) => onChange(e.target.value)} />;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {input}
    </div>
  );
}

/** A number as a person types it in either language: «1 234,5», "1,234.5" or "1234.5". */
function numberInput(raw: string): number {
  const s = raw.replace(/[\s\u00a0\u202f]/g, '');
  // A comma alone is the decimal mark (Russian); with a dot after it, commas group thousands (English).
  return Number(s.includes('.') ? s.replace(/,/g, '') : s.replace(',', '.'));
}

/** Turns form strings into the values of a deal PATCH (`set`); amounts into minor units of `currency`. */
export function toSet(values: Record<string, string>, defs: FieldDef[], currency: string): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  for (const [field, raw] of Object.entries(values)) {
    if (raw === '') continue;
    if (field.startsWith('custom.')) {
      const def = defs.find((d) => d.key === field.slice(7));
      custom[field.slice(7)] = def?.type === 'number' ? numberInput(raw) : def?.type === 'money' ? parseMoneyInput(raw, currency) : raw;
    } else if (field === 'amount_minor') set.amount_minor = parseMoneyInput(raw, currency);
    else if (field.endsWith('_id')) set[field] = Number(raw);
    else set[field] = raw;
  }
  if (Object.keys(custom).length) set.custom = custom;
  return set;
}

/** A move refused by the stage's requirements: fill the missing fields here and the move completes. */
export function MoveDialog(props: {
  me: Me;
  dealId: number;
  version: number;
  stageId: number;
  stageName: string;
  missing: Missing[];
  onClose: () => void;
  onMoved: () => void;
  /** Where focus goes back when the dialog closes (the deal's card on the board); else what had it when it opened. */
  returnFocus?: () => HTMLElement | null | undefined;
  /** A lost move the server refused for want of a loss reason: choose one of the workspace's list. */
  needsLossReason?: boolean;
}) {
  const { t, i18n } = useTranslation();
  const defs = useDealFieldDefs();
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [reason, setReason] = useState('');
  const [lossReason, setLossReason] = useState('');
  const reasons = useQuery({
    queryKey: ['loss-reasons'],
    queryFn: () => api<Page<{ id: number; name_ru: string; name_en: string }>>('/loss-reasons?active=true&limit=500'),
    enabled: !!props.needsLossReason,
  });
  const policy = useQuery({
    queryKey: ['move-policy'],
    queryFn: () => api<Answer<'/api/v1/move-policy', 'get'>>('/move-policy'),
    enabled: props.missing.length > 0,
  });
  // The workspace's move policy says who may force (a team lead only for their team's deals, which the server checks).
  const role = props.me.user.role;
  const who = policy.data?.who;
  const canForce =
    props.missing.length > 0 &&
    who !== undefined &&
    who !== 'nobody' &&
    (role === 'admin' || role === 'head_of_sales' || (role === 'team_lead' && who === 'team_leads'));
  const needsReason = policy.data?.needs_reason ?? true;
  const submit = async (e: FormEvent, force = false) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = props.needsLossReason
        ? {
            stage_id: props.stageId,
            version: props.version,
            loss_reason_id: Number(lossReason),
            ...(reason.trim() ? { reason: reason.trim() } : {}),
          }
        : force
          ? { stage_id: props.stageId, force: true, reason }
          : { stage_id: props.stageId, set: toSet(values, defs.data?.items ?? [], props.me.workspace.currency) };
      await api(`/deals/${props.dealId}/move`, { method: 'POST', body });
      props.onMoved();
    } catch (err) {
      setError(err instanceof ApiError && err.fields.length ? `${err.message}` : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={t('move.title', { stage: props.stageName })} onClose={props.onClose} returnFocus={props.returnFocus}>
      <form onSubmit={(e) => submit(e)} className="form" data-testid="move-dialog">
        {props.needsLossReason && (
          <>
            <div className="field">
              <label htmlFor="loss-reason">{t('pipelines.lost.reason')}</label>
              <select id="loss-reason" required value={lossReason} onChange={(e) => setLossReason(e.target.value)}>
                <option value="">—</option>
                {(reasons.data?.items ?? []).map((r) => (
                  <option key={r.id} value={r.id}>
                    {i18n.language === 'ru' ? r.name_ru : r.name_en}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="loss-comment">{t('pipelines.lost.comment')}</label>
              <input id="loss-comment" value={reason} onChange={(e) => setReason(e.target.value)} />
            </div>
          </>
        )}
        {props.missing.map((m) => (
          <FieldInput
            key={m.field}
            field={m.field}
            label={i18n.language === 'ru' ? m.label_ru : m.label_en}
            value={values[m.field] ?? ''}
            onChange={(v) => setValues((s) => ({ ...s, [m.field]: v }))}
            defs={defs.data?.items ?? []}
            companyId={values.company_id}
            currency={props.me.workspace.currency}
          />
        ))}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={props.onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? t('common.saving') : t('move.submit')}
          </button>
        </div>
        {canForce && (
          <details className="force">
            <summary>{t('move.force')}</summary>
            <div className="field">
              <label htmlFor="force-reason">{t('move.reason')}</label>
              <input id="force-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
            </div>
            <button
              type="button"
              disabled={busy || (needsReason && !reason.trim())}
              onClick={(e) => submit(e as unknown as FormEvent, true)}
            >
              {t('move.force')}
            </button>
          </details>
        )}
      </form>
    </Modal>
  );
}
