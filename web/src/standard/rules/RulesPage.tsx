import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api, type Me } from '../../api';
import { ErrorState, Loading } from '../../components';
import '../pipelines/pipelines.css';

type Reason = Answer<'/api/v1/loss-reasons', 'get'>['items'][number];
type Policy = Answer<'/api/v1/move-policy', 'get'>;
type Who = Policy['who'];

function ReasonRow({
  reason,
  index,
  count,
  editable,
  write,
  onMove,
}: {
  reason: Reason;
  index: number;
  count: number;
  editable: boolean;
  write: (path: string, method: string, body?: unknown) => Promise<boolean>;
  onMove: (to: number) => void;
}) {
  const { t } = useTranslation();
  const [ru, setRu] = useState(reason.name_ru);
  const [en, setEn] = useState(reason.name_en);
  const save = () => {
    if ((ru.trim() && ru.trim() !== reason.name_ru) || (en.trim() && en.trim() !== reason.name_en))
      void write(`/loss-reasons/${reason.id}`, 'PATCH', { version: reason.version, name_ru: ru.trim(), name_en: en.trim() });
  };
  return (
    <li className="reason-row" data-testid={`reason-${reason.name_ru}`}>
      {editable ? (
        <>
          <input
            aria-label={`${t('pipelines.rules.nameRu')}: ${reason.name_ru}`}
            value={ru}
            onChange={(e) => setRu(e.target.value)}
            onBlur={save}
          />
          <input
            aria-label={`${t('pipelines.rules.nameEn')}: ${reason.name_ru}`}
            value={en}
            onChange={(e) => setEn(e.target.value)}
            onBlur={save}
          />
          {!reason.active && <span className="muted">{t('pipelines.rules.inactive')}</span>}
          <button
            type="button"
            disabled={index === 0}
            onClick={() => onMove(index - 1)}
            aria-label={t('pipelines.up', { name: reason.name_ru })}
          >
            ↑
          </button>
          <button
            type="button"
            disabled={index === count - 1}
            onClick={() => onMove(index + 1)}
            aria-label={t('pipelines.down', { name: reason.name_ru })}
          >
            ↓
          </button>
          <button
            type="button"
            onClick={() => void write(`/loss-reasons/${reason.id}`, 'PATCH', { version: reason.version, active: !reason.active })}
          >
            {reason.active ? t('pipelines.rules.deactivate') : t('pipelines.rules.activate')}
          </button>
        </>
      ) : (
        <span>
          {reason.name_ru} / {reason.name_en} {!reason.active && <span className="muted">· {t('pipelines.rules.inactive')}</span>}
        </span>
      )}
    </li>
  );
}

/** The sentence that says what the chosen policy will do, as the form is filled. */
export function policySentence(t: (k: string) => string, who: Who, needsReason: boolean): string {
  if (who === 'nobody') return t('pipelines.rules.previewNobody');
  const head = who === 'team_leads' ? t('pipelines.rules.previewLeads') : t('pipelines.rules.previewHead');
  return head + (needsReason ? t('pipelines.rules.withReason') : t('pipelines.rules.withoutReason'));
}

function PolicyForm({
  policy,
  editable,
  write,
}: {
  policy: Policy;
  editable: boolean;
  write: (path: string, method: string, body?: unknown) => Promise<boolean>;
}) {
  const { t } = useTranslation();
  const [who, setWho] = useState<Who>(policy.who);
  const [needsReason, setNeedsReason] = useState(policy.needs_reason);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void write('/move-policy', 'PUT', { who, needs_reason: needsReason, version: policy.version });
  };
  const options: [Who, string][] = [
    ['nobody', t('pipelines.rules.whoNobody')],
    ['head_of_sales', t('pipelines.rules.whoHead')],
    ['team_leads', t('pipelines.rules.whoLeads')],
  ];
  return (
    <form className="form policy-form" onSubmit={submit}>
      <fieldset disabled={!editable}>
        <legend>{t('pipelines.rules.who')}</legend>
        {options.map(([value, label]) => (
          <label key={value}>
            <input type="radio" name="who" value={value} checked={who === value} onChange={() => setWho(value)} /> {label}
          </label>
        ))}
      </fieldset>
      <label>
        <input
          type="checkbox"
          checked={needsReason}
          disabled={!editable || who === 'nobody'}
          onChange={(e) => setNeedsReason(e.target.checked)}
        />{' '}
        {t('pipelines.rules.needsReason')}
      </label>
      <h3>{t('pipelines.rules.previewTitle')}</h3>
      <p className="preview" role="status" data-testid="policy-preview">
        {policySentence(t as unknown as (k: string) => string, who, needsReason)}
      </p>
      {editable && (
        <button type="submit" className="primary">
          {t('pipelines.rules.savePolicy')}
        </button>
      )}
    </form>
  );
}

/** The tab «Причины и исключения»: loss reasons and the forced-move policy. */
export default function RulesPage({ editable }: { me: Me; editable: boolean }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [ru, setRu] = useState('');
  const [en, setEn] = useState('');
  const reasons = useQuery({
    queryKey: ['standard-loss-reasons'],
    queryFn: () => api<Answer<'/api/v1/loss-reasons', 'get'>>('/loss-reasons?limit=500'),
  });
  const policy = useQuery({ queryKey: ['standard-move-policy'], queryFn: () => api<Policy>('/move-policy') });
  const write = async (path: string, method: string, body?: unknown) => {
    setError(null);
    try {
      await api(path, { method, body });
      return true;
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      return false;
    } finally {
      await qc.invalidateQueries({ queryKey: ['standard-loss-reasons'] });
      await qc.invalidateQueries({ queryKey: ['standard-move-policy'] });
      await qc.invalidateQueries({ queryKey: ['loss-reasons'] });
    }
  };
  if (reasons.isPending || policy.isPending) return <Loading />;
  if (reasons.isError) return <ErrorState error={reasons.error} retry={() => reasons.refetch()} />;
  if (policy.isError) return <ErrorState error={policy.error} retry={() => policy.refetch()} />;
  const list = reasons.data.items;
  const move = (from: number, to: number) => {
    const ids = list.map((r) => r.id);
    const [id] = ids.splice(from, 1);
    ids.splice(to, 0, id);
    void write('/loss-reasons/order', 'PUT', { ids });
  };
  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (await write('/loss-reasons', 'POST', { name_ru: ru.trim(), name_en: en.trim() || ru.trim() })) {
      setRu('');
      setEn('');
    }
  };
  return (
    <div className="rules-page">
      <h2 className="sr-only">{t('pipelines.rules.title')}</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <section className="panel" aria-labelledby="reasons-title">
        <h2 id="reasons-title">{t('pipelines.rules.reasons')}</h2>
        <p className="muted">{t('pipelines.rules.reasonsHint')}</p>
        {list.length === 0 ? (
          <p className="muted">{t('pipelines.rules.noReasons')}</p>
        ) : (
          <ol className="stage-list" data-testid="reasons">
            {list.map((r, i) => (
              <ReasonRow
                key={`${r.id}-${r.version}`}
                reason={r}
                index={i}
                count={list.length}
                editable={editable}
                write={write}
                onMove={(to) => move(i, to)}
              />
            ))}
          </ol>
        )}
        {editable && (
          <form className="add-stage" onSubmit={add}>
            <div className="field">
              <label htmlFor="reason-ru">{t('pipelines.rules.nameRu')}</label>
              <input id="reason-ru" required value={ru} onChange={(e) => setRu(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="reason-en">{t('pipelines.rules.nameEn')}</label>
              <input id="reason-en" value={en} onChange={(e) => setEn(e.target.value)} />
            </div>
            <button type="submit">{t('pipelines.rules.addReason')}</button>
          </form>
        )}
      </section>
      <section className="panel" aria-labelledby="policy-title">
        <h2 id="policy-title">{t('pipelines.rules.policy')}</h2>
        <PolicyForm key={policy.data.version} policy={policy.data} editable={editable} write={write} />
      </section>
    </div>
  );
}
