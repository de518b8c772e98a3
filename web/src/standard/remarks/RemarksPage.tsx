import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { type Answer, ApiError, api, type Me } from '../../api';
import { Empty, ErrorState, Loading } from '../../components';
import { showToast } from '../../create/toast';
import { date, num, pct } from '../../format';
import { usePipelines } from '../../lookups';
import { type RemarkObject, useRemarkFields } from '../../remarks/RemarkButton';
import { useTimeZone } from '../../time/use-time-zone';
import './remarks-page.css';

type RemarkList = Answer<'/api/v1/remarks', 'get'>;
type Remark = RemarkList['items'][number];
type Usage = Answer<'/api/v1/field-usage', 'get'>;
type Status = Remark['status'];

const OBJECTS: RemarkObject[] = ['deal', 'company', 'contact', 'lead'];
const STATUSES: Status[] = ['open', 'accepted', 'rejected', 'done'];
/** Below this share of filled cards a field is shown as a candidate to retire. */
const RETIRE_BELOW = 0.1;
const PAGE = 50;
const HREF: Record<RemarkObject, string> = { deal: '/deals', company: '/companies', contact: '/contacts', lead: '/leads' };

interface Filters {
  status: Status | '';
  object: RemarkObject | '';
  /** A field, `none` (the card as a whole) or '' (any). */
  field: string;
}

/**
 * The standard's «Замечания» tab. The head of sales (and an admin) reads every remark left on the
 * cards, answers each and sets its status, beside the share of cards where each field is filled
 * (per stage for deals), so a field nobody fills can be retired in the card designer. Anyone else
 * sees their own remarks and the answers to them.
 */
export default function RemarksPage({ me, editable }: { me: Me; editable: boolean }) {
  const { t } = useTranslation();
  const [filters, setFilters] = useState<Filters>({ status: editable ? 'open' : '', object: '', field: '' });
  if (!editable)
    return (
      <div className="remarks-page">
        <section className="panel remarks-list-panel" aria-labelledby="remarks-mine">
          <h2 id="remarks-mine">{t('remarks.list.mineTitle')}</h2>
          <p className="muted">{t('remarks.list.mineIntro')}</p>
          <Remarks me={me} editable={false} filters={filters} setFilters={setFilters} />
        </section>
      </div>
    );
  return (
    <div className="remarks-page remarks-layout">
      <section className="panel remarks-list-panel" aria-labelledby="remarks-list">
        <h2 id="remarks-list">{t('remarks.list.title')}</h2>
        <Remarks me={me} editable filters={filters} setFilters={setFilters} />
      </section>
      <FieldUsage onShowRemarks={(object, field) => setFilters({ status: 'open', object, field })} />
    </div>
  );
}

function Remarks({ me, editable, filters, setFilters }: { me: Me; editable: boolean; filters: Filters; setFilters: (f: Filters) => void }) {
  const { t, i18n } = useTranslation();
  const ru = i18n.language === 'ru';
  const id = useId();
  const fields = useRemarkFields(filters.object || null);
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (filters.status) query.set('status', filters.status);
  if (filters.object) query.set('object', filters.object);
  if (filters.object && filters.field) query.set('field', filters.field);
  const list = useInfiniteQuery({
    queryKey: ['remarks', query.toString()],
    queryFn: ({ pageParam }) => api<RemarkList>(`/remarks?${query}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <fieldset className="remarks-filters">
        <legend className="sr-only">{t('remarks.list.filters')}</legend>
        <label>
          <span>{t('remarks.list.status')}</span>
          <select
            value={filters.status}
            onChange={(e) => setFilters({ ...filters, status: e.target.value as Filters['status'] })}
            data-testid="remarks-filter-status"
          >
            <option value="">{t('remarks.list.all')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`remarks.status.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t('remarks.list.object')}</span>
          <select
            value={filters.object}
            onChange={(e) => setFilters({ ...filters, object: e.target.value as Filters['object'], field: '' })}
            data-testid="remarks-filter-object"
          >
            <option value="">{t('remarks.list.all')}</option>
            {OBJECTS.map((o) => (
              <option key={o} value={o}>
                {t(`remarks.object.${o}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t('remarks.list.field')}</span>
          <select
            value={filters.field}
            disabled={!filters.object}
            onChange={(e) => setFilters({ ...filters, field: e.target.value })}
            data-testid="remarks-filter-field"
          >
            <option value="">{t('remarks.list.all')}</option>
            <option value="none">{t('remarks.list.wholeCard')}</option>
            {(fields.data?.items ?? []).map((f) => (
              <option key={f.field} value={f.field}>
                {ru ? f.label_ru : f.label_en}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      {list.isLoading && <Loading />}
      {list.isError && <ErrorState error={list.error} retry={() => void list.refetch()} />}
      {list.isSuccess && items.length === 0 && <Empty>{t('remarks.list.empty')}</Empty>}
      {items.length > 0 && (
        <ul className="remarks-list" aria-describedby={`${id}-count`} data-testid="remarks-list">
          {items.map((r) => (
            <RemarkItem key={r.id} remark={r} me={me} editable={editable} />
          ))}
        </ul>
      )}
      <div className="list-foot">
        <span className="muted small" id={`${id}-count`} role="status">
          {list.isSuccess && t('remarks.list.count', { count: items.length })}
        </span>
        {list.hasNextPage && (
          <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
            {t('remarks.list.more')}
          </button>
        )}
      </div>
    </>
  );
}

function RemarkItem({ remark: r, me, editable }: { remark: Remark; me: Me; editable: boolean }) {
  const { t, i18n } = useTranslation();
  const tz = useTimeZone(me);
  const ru = i18n.language === 'ru';
  const label = r.field === null ? t('remarks.list.wholeCard') : ((ru ? r.field_label_ru : r.field_label_en) ?? r.field);
  return (
    <li className={`remark status-${r.status}`} data-testid="remark">
      <div className="remark-head">
        <span className="badge">{t(`remarks.object.${r.object_type}`)}</span>
        <strong>{label}</strong>
        <span className={`badge remark-status ${r.status}`}>{t(`remarks.status.${r.status}`)}</span>
      </div>
      <p className="remark-text">{r.text}</p>
      <p className="muted small remark-meta">
        {t('remarks.list.by', { author: r.author, date: date(r.created_at, tz) })}
        {r.record_id !== null && (
          <>
            {' · '}
            <Link href={`${HREF[r.object_type]}/${r.record_id}`}>{r.record_name ?? `#${r.record_id}`}</Link>
          </>
        )}
        {r.stage_name && ` · ${t('remarks.list.stage', { stage: r.stage_name })}`}
      </p>
      {editable ? (
        // Drawn anew with each version, so a reload after a save or a conflict shows what is stored.
        <AnswerForm key={r.version} remark={r} tz={tz} />
      ) : (
        r.answer && (
          <div className="remark-answer">
            <span className="muted small">
              {t('remarks.list.answeredBy', { name: r.resolved_by_name ?? '', date: date(r.resolved_at, tz) })}
            </span>
            <p>{r.answer}</p>
          </div>
        )
      )}
    </li>
  );
}

/** The head of sales' answer and status of one remark, saved with the version read (a stale one says so and reloads). */
function AnswerForm({ remark: r, tz }: { remark: Remark; tz: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const id = useId();
  const [status, setStatus] = useState<Status>(r.status);
  const [answer, setAnswer] = useState(r.answer ?? '');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const changed = status !== r.status || answer.trim() !== (r.answer ?? '');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (status === 'rejected' && answer.trim() === '') {
      setProblem(t('remarks.list.reasonNeeded'));
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      await api(`/remarks/${r.id}`, { method: 'PATCH', body: { version: r.version, status, answer: answer.trim() || null } });
      showToast({ message: t('remarks.list.saved') });
      void qc.invalidateQueries({ queryKey: ['field-usage'] });
      await qc.invalidateQueries({ queryKey: ['remarks'] });
    } catch (err) {
      setBusy(false);
      setProblem(err instanceof Error ? err.message : String(err));
      if (err instanceof ApiError && err.status === 409) void qc.invalidateQueries({ queryKey: ['remarks'] });
    }
  };
  return (
    <form className="remark-answer-form" onSubmit={(e) => void submit(e)} data-testid="remark-answer-form">
      <div className="field">
        <label htmlFor={`${id}-status`}>{t('remarks.list.status')}</label>
        <select id={`${id}-status`} value={status} onChange={(e) => setStatus(e.target.value as Status)} data-testid="remark-status">
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`remarks.status.${s}`)}
            </option>
          ))}
        </select>
      </div>
      <div className="field remark-answer-text">
        <label htmlFor={`${id}-answer`}>{t('remarks.list.answer')}</label>
        <textarea
          id={`${id}-answer`}
          rows={2}
          maxLength={2000}
          value={answer}
          onChange={(e) => setAnswer(e.target.value)}
          data-testid="remark-answer"
        />
      </div>
      <div className="remark-answer-actions">
        <button type="submit" className="primary" disabled={busy || !changed} data-testid="remark-save">
          {t('remarks.list.save')}
        </button>
        {problem ? (
          <span className="bad small" role="alert">
            {problem}
          </span>
        ) : (
          r.resolved_by_name && (
            <span className="muted small">{t('remarks.list.answeredBy', { name: r.resolved_by_name, date: date(r.resolved_at, tz) })}</span>
          )
        )}
      </div>
    </form>
  );
}

function FieldUsage({ onShowRemarks }: { onShowRemarks: (object: RemarkObject, field: string) => void }) {
  const { t, i18n } = useTranslation();
  const ru = i18n.language === 'ru';
  const [object, setObject] = useState<RemarkObject>('deal');
  const pipelines = usePipelines();
  const active = (pipelines.data?.items ?? []).filter((p) => !p.archived);
  const [pipelineId, setPipelineId] = useState<number | null>(null);
  const pipeline = object === 'deal' ? (pipelineId ?? active[0]?.id ?? null) : null;
  const usage = useQuery({
    queryKey: ['field-usage', object, pipeline],
    queryFn: () => api<Usage>(`/field-usage?object=${object}${pipeline !== null ? `&pipeline_id=${pipeline}` : ''}`),
    enabled: object !== 'deal' || pipelines.isFetched,
  });
  const u = usage.data;
  const share = (v: number | null) => (v === null ? '—' : pct(v, 0));
  return (
    <section className="panel usage-panel" aria-labelledby="usage-title" data-testid="field-usage">
      <h2 id="usage-title">{t('remarks.usage.title')}</h2>
      <p className="muted">{t('remarks.usage.intro', { limit: pct(RETIRE_BELOW, 0) })}</p>
      <div className="remarks-filters">
        <label>
          <span>{t('remarks.usage.object')}</span>
          <select value={object} onChange={(e) => setObject(e.target.value as RemarkObject)} data-testid="usage-object">
            {OBJECTS.map((o) => (
              <option key={o} value={o}>
                {t(`remarks.object.${o}`)}
              </option>
            ))}
          </select>
        </label>
        {object === 'deal' && active.length > 1 && (
          <label>
            <span>{t('remarks.usage.pipeline')}</span>
            <select value={pipeline ?? ''} onChange={(e) => setPipelineId(Number(e.target.value))} data-testid="usage-pipeline">
              {active.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {usage.isLoading && <Loading />}
      {usage.isError && <ErrorState error={usage.error} retry={() => void usage.refetch()} />}
      {u && (
        <>
          <p className="small usage-summary">
            <span>{u.records === 0 ? t('remarks.usage.noRecords') : t('remarks.usage.records', { count: u.records })}</span>
            {u.open_remarks_general > 0 && (
              <button type="button" className="link" onClick={() => onShowRemarks(object, 'none')}>
                {t('remarks.usage.general', { count: u.open_remarks_general })}
              </button>
            )}
          </p>
          {/* Scrolled sideways on a phone: focusable, so the keyboard can scroll it too. */}
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus to be scrolled with the keys */}
          <section className="table-wrap usage-wrap" aria-label={t('remarks.usage.title')} tabIndex={0}>
            <table className="table compact usage-table" data-testid="usage-table">
              {u.stages.length > 0 && <caption className="sr-only">{t('remarks.usage.stageHint')}</caption>}
              <thead>
                <tr>
                  <th scope="col">{t('remarks.usage.field')}</th>
                  <th scope="col" className="num">
                    {t('remarks.usage.filled')}
                  </th>
                  {u.stages.map((s) => (
                    <th scope="col" key={s.id} className={`num stage-col ${s.kind}`} title={`${s.name}: ${num(s.records)}`}>
                      {s.name}
                    </th>
                  ))}
                  <th scope="col" className="num">
                    {t('remarks.usage.remarks')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {u.fields.map((f) => {
                  const label = ru ? f.label_ru : f.label_en;
                  const candidate = f.share !== null && f.share < RETIRE_BELOW;
                  return (
                    <tr key={f.field} className={candidate ? 'candidate' : undefined} data-testid={`usage-${f.field}`}>
                      <th scope="row">
                        <span className="usage-field">{label}</span>
                        {f.custom && <span className="muted small"> · {t('remarks.usage.custom')}</span>}
                        {candidate && <span className="badge warn usage-candidate">{t('remarks.usage.candidate')}</span>}
                      </th>
                      <td className="num">
                        <strong>{share(f.share)}</strong>
                        <span className="muted small usage-of">
                          {t('remarks.usage.ofTotal', { filled: num(f.filled), total: num(u.records) })}
                        </span>
                      </td>
                      {f.by_stage.map((s) => (
                        <td
                          key={s.stage_id}
                          className="num"
                          title={t('remarks.usage.ofTotal', { filled: num(s.filled), total: num(s.records) })}
                        >
                          {share(s.share)}
                        </td>
                      ))}
                      <td className="num">
                        {f.open_remarks > 0 ? (
                          <button type="button" className="link" onClick={() => onShowRemarks(object, f.field)}>
                            {num(f.open_remarks)}
                            <span className="sr-only"> {t('remarks.usage.showRemarks', { field: label })}</span>
                          </button>
                        ) : (
                          <span className="muted">0</span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </section>
          <p>
            <Link href="/standard/cards" data-testid="usage-designer">
              {t('remarks.usage.designer')} →
            </Link>
          </p>
        </>
      )}
    </section>
  );
}
