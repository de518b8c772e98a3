import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Me } from '../api';
import { ErrorState, Loading } from '../components';
import { num } from '../format';
import {
  type AccountSettings,
  type ChurnReason,
  FieldProblem,
  NO_PROBLEM,
  type Problem,
  ProblemLine,
  type ProductGroup,
  problemOf,
  useChurnReasons,
  useProductGroups,
} from './shared';

/**
 * The settings of accounts (issue 19): product groups and churn reasons (added, renamed, offered or
 * not — never deleted: old contracts keep their names), the gross margin for LTV and the renewal
 * notice in business days. The admin and the head of sales change them; the others read them.
 */
export default function AccountSettingsPage({ editable }: { me: Me; editable: boolean }) {
  const { t } = useTranslation();
  return (
    <div className="page acc-settings" data-testid="account-settings">
      <p className="muted intro">{t('acc.settings.intro')}</p>
      {!editable && (
        <p className="notice" data-testid="settings-read-only">
          {t('acc.settings.readOnly')}
        </p>
      )}
      <SettingsForm editable={editable} />
      <div className="grid-2">
        <Groups editable={editable} />
        <Reasons editable={editable} />
      </div>
    </div>
  );
}

function SettingsForm({ editable }: { editable: boolean }) {
  const { t } = useTranslation();
  const id = useId();
  const settings = useQuery({ queryKey: ['account-settings'], queryFn: () => api<AccountSettings>('/accounts/settings') });
  const [margin, setMargin] = useState('');
  const [notice, setNotice] = useState('');
  const [problem, setProblem] = useState<Problem>(NO_PROBLEM);
  const [said, setSaid] = useState('');
  useEffect(() => {
    if (!settings.data) return;
    setMargin(num(settings.data.gross_margin * 100, 2).replace(/[\u00a0\u202f]/g, ' '));
    setNotice(String(settings.data.renewal_notice_days));
  }, [settings.data]);
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<AccountSettings>('/accounts/settings', { method: 'PUT', body }),
    onSuccess: () => {
      setProblem(NO_PROBLEM);
      setSaid(t('acc.settings.saved'));
    },
    onError: (e) => {
      setSaid('');
      setProblem(problemOf(e, ['gross_margin', 'renewal_notice_days'], t));
    },
  });
  if (settings.isPending) return <Loading />;
  if (settings.isError) return <ErrorState error={settings.error} retry={() => settings.refetch()} />;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const m = Number(margin.replace(/\s/g, '').replace(',', '.'));
    const n = Number(notice.trim());
    save.mutate({
      version: settings.data.version,
      gross_margin: Number.isFinite(m) ? Math.round(m * 100) / 10_000 : margin,
      renewal_notice_days: Number.isInteger(n) ? n : notice,
    });
  };
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('acc.tabs.settings')}</h2>
      <form className="settings-form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${id}-margin`}>{t('acc.settings.margin')}</label>
          <input
            id={`${id}-margin`}
            inputMode="decimal"
            value={margin}
            readOnly={!editable}
            onChange={(e) => setMargin(e.target.value)}
            aria-invalid={problem.fields.gross_margin ? true : undefined}
            aria-describedby={problem.fields.gross_margin ? `${id}-margin-error` : `${id}-margin-hint`}
            data-testid="settings-margin"
          />
          <span className="field-hint muted small" id={`${id}-margin-hint`}>
            {t('acc.settings.marginHint')}
          </span>
          <FieldProblem id={`${id}-margin-error`} message={problem.fields.gross_margin} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-notice`}>{t('acc.settings.notice')}</label>
          <input
            id={`${id}-notice`}
            inputMode="numeric"
            value={notice}
            readOnly={!editable}
            onChange={(e) => setNotice(e.target.value)}
            aria-invalid={problem.fields.renewal_notice_days ? true : undefined}
            aria-describedby={problem.fields.renewal_notice_days ? `${id}-notice-error` : undefined}
            data-testid="settings-notice"
          />
          <FieldProblem id={`${id}-notice-error`} message={problem.fields.renewal_notice_days} />
        </div>
        {editable && (
          <button type="submit" className="primary" disabled={save.isPending} data-testid="settings-save">
            {t('acc.settings.save')}
          </button>
        )}
      </form>
      <ProblemLine problem={problem} />
      <p role="status" className="acc-said" data-testid="settings-status">
        {said}
      </p>
    </section>
  );
}

function Groups({ editable }: { editable: boolean }) {
  const { t } = useTranslation();
  const groups = useProductGroups();
  const id = useId();
  return (
    <section className="panel" aria-labelledby={`${id}-h`} data-testid="settings-groups">
      <h2 id={`${id}-h`}>{t('acc.settings.groups')}</h2>
      {groups.isPending ? (
        <Loading />
      ) : groups.isError ? (
        <ErrorState error={groups.error} retry={() => groups.refetch()} />
      ) : (
        <ListRows
          editable={editable}
          path="product-groups"
          items={groups.data.items}
          names={[{ key: 'name', label: t('acc.settings.name') }]}
          next={groups.data.items.reduce((m, g) => Math.max(m, g.position), 0) + 1}
        />
      )}
    </section>
  );
}

function Reasons({ editable }: { editable: boolean }) {
  const { t } = useTranslation();
  const reasons = useChurnReasons();
  const id = useId();
  return (
    <section className="panel" aria-labelledby={`${id}-h`} data-testid="settings-reasons">
      <h2 id={`${id}-h`}>{t('acc.settings.reasons')}</h2>
      {reasons.isPending ? (
        <Loading />
      ) : reasons.isError ? (
        <ErrorState error={reasons.error} retry={() => reasons.refetch()} />
      ) : (
        <ListRows
          editable={editable}
          path="churn-reasons"
          items={reasons.data.items}
          names={[
            { key: 'name_ru', label: t('acc.settings.nameRu') },
            { key: 'name_en', label: t('acc.settings.nameEn') },
          ]}
          next={reasons.data.items.reduce((m, g) => Math.max(m, g.position), 0) + 1}
        />
      )}
    </section>
  );
}

type Row = (ProductGroup | ChurnReason) & Record<string, unknown>;
interface NameField {
  key: string;
  label: string;
}

/** A kept list: its rows renamed and switched on or off in place, and a new one added at the end. */
function ListRows({
  editable,
  path,
  items,
  names,
  next,
}: {
  editable: boolean;
  path: 'product-groups' | 'churn-reasons';
  items: (ProductGroup | ChurnReason)[];
  names: NameField[];
  next: number;
}) {
  const { t } = useTranslation();
  return (
    <>
      {items.length === 0 && <p className="muted">{t('acc.settings.empty')}</p>}
      <ul className="kept-list">
        {items.map((r) => (
          <KeptRow key={r.id} row={r as Row} path={path} names={names} editable={editable} />
        ))}
      </ul>
      {editable && <AddRow path={path} names={names} position={next} />}
    </>
  );
}

function KeptRow({ row, path, names, editable }: { row: Row; path: string; names: NameField[]; editable: boolean }) {
  const { t } = useTranslation();
  const id = useId();
  const [values, setValues] = useState<Record<string, string>>(Object.fromEntries(names.map((n) => [n.key, String(row[n.key] ?? '')])));
  const [problem, setProblem] = useState<Problem>(NO_PROBLEM);
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => api(`/${path}/${row.id}`, { method: 'PATCH', body: { version: row.version, ...body } }),
    onSuccess: () => setProblem(NO_PROBLEM),
    onError: (e) =>
      setProblem(
        problemOf(
          e,
          names.map((n) => n.key),
          t,
        ),
      ),
  });
  const label = names.map((n) => String(row[n.key] ?? '')).join(' / ');
  if (!editable)
    return (
      <li>
        {label} {!row.active && <span className="badge">{t('acc.settings.inactive')}</span>}
      </li>
    );
  const changed = names.some((n) => values[n.key].trim() !== String(row[n.key] ?? ''));
  return (
    <li>
      <form
        className="kept-row"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(Object.fromEntries(names.map((n) => [n.key, values[n.key].trim()])));
        }}
      >
        {names.map((n) => (
          <span key={n.key} className="kept-name">
            <input
              value={values[n.key]}
              onChange={(e) => setValues((v) => ({ ...v, [n.key]: e.target.value }))}
              aria-label={`${n.label}: ${label}`}
              aria-invalid={problem.fields[n.key] ? true : undefined}
              aria-describedby={problem.fields[n.key] ? `${id}-${n.key}-error` : undefined}
              maxLength={200}
            />
            <FieldProblem id={`${id}-${n.key}-error`} message={problem.fields[n.key]} />
          </span>
        ))}
        {changed && (
          <button type="submit" disabled={save.isPending}>
            {t('acc.settings.rename')}
          </button>
        )}
        <label className="check-label">
          <input type="checkbox" checked={row.active} onChange={(e) => save.mutate({ active: e.target.checked })} />{' '}
          {t('acc.settings.active')}
        </label>
      </form>
      <ProblemLine problem={problem} />
    </li>
  );
}

function AddRow({ path, names, position }: { path: string; names: NameField[]; position: number }) {
  const { t } = useTranslation();
  const id = useId();
  const empty = () => Object.fromEntries(names.map((n) => [n.key, '']));
  const [values, setValues] = useState<Record<string, string>>(empty);
  const [problem, setProblem] = useState<Problem>(NO_PROBLEM);
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => api(`/${path}`, { method: 'POST', body }),
    onSuccess: () => {
      setProblem(NO_PROBLEM);
      setValues(empty());
    },
    onError: (e) =>
      setProblem(
        problemOf(
          e,
          names.map((n) => n.key),
          t,
        ),
      ),
  });
  return (
    <form
      className="kept-row add-row"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({ ...Object.fromEntries(names.map((n) => [n.key, values[n.key].trim()])), position, active: true });
      }}
      data-testid={`add-${path}`}
    >
      {names.map((n) => (
        <span key={n.key} className="kept-name">
          <label htmlFor={`${id}-${n.key}`} className="small">
            {n.label}
          </label>
          <input
            id={`${id}-${n.key}`}
            value={values[n.key]}
            onChange={(e) => setValues((v) => ({ ...v, [n.key]: e.target.value }))}
            aria-invalid={problem.fields[n.key] ? true : undefined}
            aria-describedby={problem.fields[n.key] ? `${id}-${n.key}-error` : undefined}
            maxLength={200}
            data-testid={`add-${path}-${n.key}`}
          />
          <FieldProblem id={`${id}-${n.key}-error`} message={problem.fields[n.key]} />
        </span>
      ))}
      <button type="submit" disabled={save.isPending} data-testid={`add-${path}-save`}>
        {t('acc.settings.add')}
      </button>
      <ProblemLine problem={problem} />
    </form>
  );
}
