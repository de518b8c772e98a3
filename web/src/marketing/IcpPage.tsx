import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, ApiError, api, type FieldError, type Me } from '../api';
import { ErrorState, Loading } from '../components';
import { dateTime } from '../format';
import { useTimeZone } from '../time/use-time-zone';

type Icp = Answer<'/api/v1/icp-rules', 'get'>;
type Preview = Answer<'/api/v1/icp-rules/preview', 'post'>;
type Versions = Answer<'/api/v1/icp-rules/versions', 'get'>;
type Saved = Answer<'/api/v1/icp-rules', 'put'>;
const FIELDS = ['industry', 'employees', 'region', 'company', 'campaign'] as const;

/** A rule as the form holds it: text, so a half-typed number stays as typed. */
interface RuleForm {
  field: string;
  values: string;
  min: string;
  max: string;
  points: string;
}

const toForm = (r: NonNullable<Icp['rules']>['rules'][number]): RuleForm => ({
  field: r.field,
  values: (r.in ?? []).join(', '),
  min: r.min === undefined ? '' : String(r.min),
  max: r.max === undefined ? '' : String(r.max),
  points: String(r.points),
});
const numberOr = (s: string) => (s.trim() === '' ? undefined : Number(s.replace(',', '.')));

/** The rules as the API takes them; the server validates and names the field of a mistake. */
function toRules(threshold: string, rules: RuleForm[]) {
  return {
    threshold: numberOr(threshold) ?? 0,
    rules: rules.map((r) => {
      const bounds = r.field === 'employees' && r.values.trim() === '';
      return {
        field: r.field,
        ...(bounds
          ? {
              ...(numberOr(r.min) !== undefined ? { min: numberOr(r.min) } : {}),
              ...(numberOr(r.max) !== undefined ? { max: numberOr(r.max) } : {}),
            }
          : {
              in: r.values
                .split(',')
                .map((v) => v.trim())
                .filter(Boolean),
            }),
        points: Number(r.points),
      };
    }),
  };
}

/**
 * The ICP rules editor: threshold and rules (field, values or bounds, points), a live preview of
 * how many leads each rule matches and how many fit, saving as a new version (every lead
 * re-scored), and the versions kept.
 */
export default function IcpPage({ me, editable }: { me: Me; editable: boolean }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const tz = useTimeZone(me);
  const icp = useQuery({ queryKey: ['icp'], queryFn: () => api<Icp>('/icp-rules') });
  const versions = useQuery({ queryKey: ['icp-versions'], queryFn: () => api<Versions>('/icp-rules/versions') });
  const [threshold, setThreshold] = useState('50');
  const [rules, setRules] = useState<RuleForm[]>([]);
  const [loadedVersion, setLoadedVersion] = useState<number | null | undefined>(undefined);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [status, setStatus] = useState('');
  useEffect(() => {
    if (!icp.data || loadedVersion === icp.data.version) return;
    setLoadedVersion(icp.data.version);
    setThreshold(String(icp.data.rules?.threshold ?? 50));
    setRules(
      icp.data.rules?.rules.map(toForm) ?? [
        { field: 'industry', values: '', min: '', max: '', points: '20' },
        { field: 'employees', values: '', min: '50', max: '1000', points: '20' },
      ],
    );
  }, [icp.data, loadedVersion]);
  const body = toRules(threshold, rules);
  const key = JSON.stringify(body);
  const [debounced, setDebounced] = useState(key);
  useEffect(() => {
    const id = setTimeout(() => setDebounced(key), 300);
    return () => clearTimeout(id);
  }, [key]);
  const preview = useQuery({
    queryKey: ['icp-preview', debounced],
    queryFn: () => api<Preview>('/icp-rules/preview', { method: 'POST', body: { rules: JSON.parse(debounced) } }),
    enabled: loadedVersion !== undefined,
    retry: false,
  });
  const save = useMutation({
    mutationFn: () => api<Saved>('/icp-rules', { method: 'PUT', body: { rules: body, version: icp.data?.version ?? null } }),
    onSuccess: (r) => {
      setErrors([]);
      setStatus(r.changed ? t('mkt.icp.saved', { version: r.version, rescored: r.rescored }) : t('mkt.icp.unchanged'));
      setLoadedVersion(r.version);
      void qc.invalidateQueries({ queryKey: ['icp'] });
      void qc.invalidateQueries({ queryKey: ['icp-versions'] });
    },
    onError: (e) => {
      setStatus('');
      setErrors(e instanceof ApiError ? (e.fields.length ? e.fields : [{ field: '', message: e.message }]) : []);
    },
  });
  if (icp.isPending) return <Loading />;
  if (icp.isError) return <ErrorState error={icp.error} retry={() => icp.refetch()} />;
  const previewErrors = preview.error instanceof ApiError ? preview.error.fields : [];
  const shown = errors.length ? errors : previewErrors;
  const errorAt = (path: string) => shown.filter((e) => e.field === path || e.field.startsWith(`${path}.`)).map((e) => e.message);
  const update = (i: number, patch: Partial<RuleForm>) => setRules((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div className="page" data-testid="icp-page">
      <p className="muted intro">{t('mkt.icp.intro')}</p>
      {!editable && <p className="muted">{t('mkt.icp.readOnly')}</p>}
      <p className="muted small" data-testid="icp-version">
        {icp.data.version
          ? t('mkt.icp.version', { version: icp.data.version, at: dateTime(icp.data.created_at, tz), by: icp.data.created_by ?? '—' })
          : t('mkt.icp.noVersion')}
      </p>
      <form
        className="panel"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <fieldset disabled={!editable} className="icp-head">
          <label>
            {t('mkt.icp.threshold')}
            <input inputMode="decimal" value={threshold} onChange={(e) => setThreshold(e.target.value)} data-testid="icp-threshold" />
          </label>
          {rules.map((r, i) => {
            const at = `rules.rules.${i}`;
            const problems = errorAt(at);
            const numeric = r.field === 'employees';
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: a rule has no id of its own; its position is what the server names
              <div className="icp-rule" key={i} data-testid={`icp-rule-${i}`}>
                <label>
                  {t('mkt.icp.field')}
                  <select value={r.field} onChange={(e) => update(i, { field: e.target.value })}>
                    {FIELDS.map((f) => (
                      <option key={f} value={f}>
                        {t(`mkt.icp.fields.${f}`)}
                      </option>
                    ))}
                  </select>
                </label>
                {numeric && r.values.trim() === '' ? (
                  <>
                    <label>
                      {t('mkt.icp.min')}
                      <input inputMode="numeric" value={r.min} onChange={(e) => update(i, { min: e.target.value })} size={8} />
                    </label>
                    <label>
                      {t('mkt.icp.max')}
                      <input inputMode="numeric" value={r.max} onChange={(e) => update(i, { max: e.target.value })} size={8} />
                    </label>
                  </>
                ) : (
                  <label>
                    {t('mkt.icp.values')}
                    <input value={r.values} onChange={(e) => update(i, { values: e.target.value })} size={30} />
                  </label>
                )}
                <label>
                  {t('mkt.icp.points')}
                  <input
                    inputMode="numeric"
                    value={r.points}
                    onChange={(e) => update(i, { points: e.target.value })}
                    size={5}
                    aria-invalid={problems.length ? true : undefined}
                    data-testid={`icp-points-${i}`}
                  />
                </label>
                <span className="matches" data-testid={`icp-matches-${i}`}>
                  {preview.data?.per_rule[i] !== undefined ? t('mkt.icp.matches', { count: preview.data.per_rule[i] }) : ''}
                </span>
                <button
                  type="button"
                  className="link"
                  onClick={() => setRules((rs) => rs.filter((_, j) => j !== i))}
                  aria-label={t('mkt.icp.removeRule', { n: i + 1 })}
                >
                  ✕
                </button>
                {problems.map((m) => (
                  <span key={m} className="field-error" role="alert">
                    {m}
                  </span>
                ))}
              </div>
            );
          })}
          <p>
            <button
              type="button"
              onClick={() => setRules((rs) => [...rs, { field: 'industry', values: '', min: '', max: '', points: '10' }])}
              data-testid="icp-add-rule"
            >
              {t('mkt.icp.addRule')}
            </button>
          </p>
        </fieldset>
        <p data-testid="icp-preview">
          <strong>{t('mkt.icp.preview')}:</strong>{' '}
          {preview.data ? t('mkt.icp.fitTotal', { fit: preview.data.fit, leads: preview.data.leads }) : '…'}
        </p>
        {shown
          .filter((e) => !e.field.startsWith('rules.rules.'))
          .map((e) => (
            <p key={e.message} className="field-error" role="alert">
              {e.message}
            </p>
          ))}
        {editable && (
          <button type="submit" className="primary" disabled={save.isPending} data-testid="icp-save">
            {t('mkt.icp.save')}
          </button>
        )}
        <p role="status" className="muted" data-testid="icp-status">
          {status}
        </p>
      </form>
      {versions.data && versions.data.items.length > 0 && (
        <section className="panel" aria-labelledby="icp-history-h">
          <h2 id="icp-history-h">{t('mkt.icp.history')}</h2>
          <ul>
            {versions.data.items.map((v) => (
              <li key={v.version}>
                {t('mkt.icp.version', { version: v.version, at: dateTime(v.created_at, tz), by: v.created_by ?? '—' })} ·{' '}
                {t('mkt.icp.threshold')} {v.rules.threshold} · {v.rules.rules.length}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
