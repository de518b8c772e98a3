import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { CasesPanel, LogCaseButton } from '../accounts/cases';
import { ApiError, api, type DealCardData, type Me, type Missing } from '../api';
import { CardBlocks } from '../cards/blocks';
import { ConflictBanner, EditableField, type FieldSpec, useCardEditor } from '../cards/edit';
import { companySpec, contactSpec, namedSpec, useNamed, useOwnerSpec } from '../cards/specs';
import { CardTimeline, NoteBox } from '../cards/timeline';
import { ErrorState, Loading } from '../components';
import { localInputInstant } from '../create/dates';
import { date, dateTime, days, money } from '../format';
import { useUsers } from '../lookups';
import { JourneyPanel } from '../marketing/LeadMarketing';
import { RemarkButton } from '../remarks/RemarkButton';
import { useTimeZone } from '../time/use-time-zone';
import { MoveDialog } from './MoveDialog';

const ACTIVITY_TYPES = ['call', 'meeting', 'demo', 'email', 'proposal'] as const;
const OUTCOMES: Record<string, string[]> = {
  call: ['held', 'no_answer'],
  meeting: ['accepted', 'declined', 'held', 'no_show', 'rescheduled'],
  demo: ['held', 'no_show', 'rescheduled'],
  email: ['sent', 'replied'],
  proposal: ['sent'],
};
const TASK_TYPES = ['call', 'meeting', 'email', 'proposal', 'follow_up', 'document', 'other'] as const;

function LogActivity({ dealId, onDone }: { dealId: number; onDone: () => void }) {
  const { t } = useTranslation();
  const [type, setType] = useState<(typeof ACTIVITY_TYPES)[number]>('call');
  const [outcome, setOutcome] = useState('held');
  const [subject, setSubject] = useState('');
  const [notes, setNotes] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api('/activities', {
        method: 'POST',
        body: { type, outcome, deal_id: dealId, at: new Date().toISOString(), subject: subject || null, notes: notes || null },
      });
      setSubject('');
      setNotes('');
      onDone();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <form className="form compact" onSubmit={submit} aria-label={t('deal.logActivity')}>
      <div className="row">
        <div className="field">
          <label htmlFor="act-type">{t('deal.activityType')}</label>
          <select
            id="act-type"
            value={type}
            onChange={(e) => {
              const v = e.target.value as (typeof ACTIVITY_TYPES)[number];
              setType(v);
              setOutcome(OUTCOMES[v][0]);
            }}
          >
            {ACTIVITY_TYPES.map((a) => (
              <option key={a} value={a}>
                {t(`activityType.${a}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="act-outcome">{t('deal.outcome')}</label>
          <select id="act-outcome" value={outcome} onChange={(e) => setOutcome(e.target.value)}>
            {OUTCOMES[type].map((o) => (
              <option key={o} value={o}>
                {t(`header.outcome.${type}.${o}`, { defaultValue: t(`outcome.${o}`) })}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="field">
        <label htmlFor="act-subject">{t('deal.subject')}</label>
        <input id="act-subject" value={subject} onChange={(e) => setSubject(e.target.value)} maxLength={300} />
      </div>
      <div className="field">
        <label htmlFor="act-notes">{t('deal.notes')}</label>
        <textarea id="act-notes" value={notes} onChange={(e) => setNotes(e.target.value)} rows={2} />
      </div>
      {error && <p className="error">{error}</p>}
      <button type="submit" className="primary">
        {t('deal.logActivity')}
      </button>
    </form>
  );
}

function AddTask({ dealId, zone, onDone }: { dealId: number; zone: string; onDone: () => void }) {
  const { t } = useTranslation();
  const [title, setTitle] = useState('');
  const [type, setType] = useState<(typeof TASK_TYPES)[number]>('call');
  const [due, setDue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api('/tasks', { method: 'POST', body: { title, type, deal_id: dealId, due_at: due ? localInputInstant(due, zone) : null } });
      setTitle('');
      setDue('');
      onDone();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <form className="form compact" onSubmit={submit} aria-label={t('deal.addTask')}>
      <div className="field">
        <label htmlFor="task-title">{t('deal.taskTitle')}</label>
        <input id="task-title" required value={title} onChange={(e) => setTitle(e.target.value)} maxLength={300} />
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor="task-type">{t('deal.activityType')}</label>
          <select id="task-type" value={type} onChange={(e) => setType(e.target.value as (typeof TASK_TYPES)[number])}>
            {TASK_TYPES.map((x) => (
              <option key={x} value={x}>
                {t(`taskType.${x}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="task-due">{t('deal.due')}</label>
          <input id="task-due" type="datetime-local" value={due} onChange={(e) => setDue(e.target.value)} />
        </div>
      </div>
      {error && <p className="error">{error}</p>}
      <button type="submit">{t('deal.addTask')}</button>
    </form>
  );
}

export function DealCardPage({ id, me }: { id: number; me: Me }) {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  const tz = me.workspace.timezone;
  // A task's due time is typed in the person's zone (their preference, else the workspace's).
  const zone = useTimeZone(me);
  const ru = i18n.language === 'ru';
  const card = useQuery({ queryKey: ['deal-card', id], queryFn: () => api<DealCardData>(`/deals/${id}/card`) });
  const segments = useNamed('segments');
  const channels = useNamed('channels');
  const users = useUsers();
  const [moving, setMoving] = useState<{ stageId: number; stageName: string; missing: Missing[]; lost?: boolean } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const refresh = () => {
    qc.invalidateQueries({ queryKey: ['deal-card', id] });
    qc.invalidateQueries({ queryKey: ['board'] });
  };
  const editor = useCardEditor(`/deals/${id}`, card.data?.deal.version ?? 0, refresh);
  const owner = useOwnerSpec(me, card.data?.deal.owner_id ?? null, card.data?.names.owner ?? null);
  const complete = useMutation({
    mutationFn: (task: { id: number; version: number }) =>
      api(`/tasks/${task.id}`, { method: 'PATCH', body: { version: task.version, status: 'done' } }),
    onSuccess: refresh,
  });
  if (card.isPending) return <Loading />;
  if (card.isError) return <ErrorState error={card.error} retry={() => card.refetch()} />;
  const c = card.data;
  const d = c.deal;

  const moveTo = async (stageId: number, stageName: string) => {
    setMessage(null);
    try {
      await api(`/deals/${id}/move`, { method: 'POST', body: { stage_id: stageId, version: d.version } });
      refresh();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'STAGE_REQUIREMENTS_MISSING')
        setMoving({ stageId, stageName, missing: e.body.missing as Missing[] });
      else if (e instanceof ApiError && e.fields.some((f) => f.field === 'loss_reason_id'))
        // The workspace keeps a list of loss reasons: the dialog asks for one.
        setMoving({ stageId, stageName, missing: [], lost: true });
      else setMessage(e instanceof Error ? e.message : String(e));
    }
  };
  const openTasks = c.tasks.filter((x) => x.status === 'open');
  const tt = t as unknown as (k: string) => string;
  const standard: FieldSpec[] = [
    { name: 'title', label: t('cards.field.title'), kind: 'text', value: d.title, required: true },
    { name: 'amount_minor', label: t('cards.field.amount_minor'), kind: 'money', value: d.amount_minor, required: true },
    companySpec(tt, d.company_id ?? null, c.names.company),
    contactSpec(tt, d.contact_id ?? null, c.names.contact, d.company_id ?? null),
    owner,
    namedSpec(tt, 'segment_id', d.segment_id ?? null, c.names.segment, segments.data?.items ?? []),
    namedSpec(tt, 'channel_id', d.channel_id ?? null, c.names.channel, channels.data?.items ?? []),
    { name: 'region', label: t('cards.field.region'), kind: 'text', value: d.region ?? null },
    { name: 'atypical', label: t('cards.field.atypical'), kind: 'bool', value: d.atypical, required: true },
    { name: 'atypical_reason', label: t('cards.field.atypical_reason'), kind: 'longtext', value: d.atypical_reason ?? null },
  ];
  const field = (spec: FieldSpec) => (
    <EditableField
      key={spec.name}
      spec={spec}
      currency={d.currency}
      save={editor.save}
      pending={editor.pending}
      onPendingUsed={editor.clearPending}
    />
  );
  const lost = c.pipeline.stages.find((s) => s.kind === 'lost');
  return (
    <div className="page deal-card-page">
      <nav className="crumbs">
        <Link href="/deals">← {t('deal.back')}</Link>
      </nav>
      <div className="card-head">
        <div>
          <h1 data-testid="deal-title">{d.title}</h1>
          <p className="muted">
            {c.pipeline.name} · {t('deal.created')} {date(d.created_at, tz)} · {t(`status.${d.status}`)}
            {d.status === 'open' && ` · ${days((Date.now() - new Date(d.stage_entered_at).getTime()) / 86_400_000)} ${t('board.inStage')}`}
            {d.atypical && <span className="badge warn">{t('deal.atypical')}</span>}
          </p>
        </div>
        <div className="cf-head-actions">
          <div className="card-amount-big">{money(d.amount_minor, d.currency)}</div>
          <LogCaseButton link={{ deal_id: d.id }} />
          <RemarkButton object="deal" recordId={d.id} stageId={d.stage_id} />
        </div>
      </div>
      <ol className="stage-path" aria-label={t('deal.stage')}>
        {c.pipeline.stages.map((s) => (
          <li key={s.id} className={`${s.id === d.stage_id ? 'current' : ''} ${s.kind}`}>
            <button
              type="button"
              onClick={() => s.id !== d.stage_id && moveTo(s.id, s.name)}
              aria-current={s.id === d.stage_id ? 'step' : undefined}
              title={`${t('deal.moveTo')}: ${s.name}`}
            >
              {s.name}
            </button>
          </li>
        ))}
      </ol>
      {message && (
        <p className="error" role="alert">
          {message}
        </p>
      )}
      <ConflictBanner
        conflict={editor.conflict}
        kept={editor.kept}
        currency={d.currency}
        tz={tz}
        blocks={c.blocks}
        onReload={async (x) => {
          await card.refetch();
          editor.reloaded(x);
        }}
      />
      <div className="card-grid">
        <div className="card-col">
          <section className="panel" aria-labelledby="cf-fields-h">
            <h2 id="cf-fields-h">{t('deal.fields')}</h2>
            <dl className="cf-list">{standard.map(field)}</dl>
          </section>
          <CardBlocks blocks={c.blocks} values={d.custom ?? {}} users={users.data?.items ?? []} field={field} />
          <section className="panel" aria-labelledby="cf-close-h">
            <h2 id="cf-close-h">{t('cards.archive.dealTitle')}</h2>
            <p className="cf-deal-hint muted">{t('cards.archive.dealHint')}</p>
            {lost && d.status === 'open' && (
              <button type="button" onClick={() => moveTo(lost.id, lost.name)} data-testid="close-lost">
                {t('cards.archive.closeLost')}
              </button>
            )}
          </section>
        </div>
        <div className="card-col">
          <section className="panel guidance">
            <h2>
              {t('deal.guidance')}: {c.stage.name}
            </h2>
            <p>{(ru ? c.stage.guidance_ru : c.stage.guidance_en) ?? t('common.none')}</p>
            <h3>{t('deal.needsNow')}</h3>
            <Requirements list={c.requirements.current} />
            {c.requirements.next_stage && (
              <>
                <h3>{t('deal.needsNext', { stage: c.requirements.next_stage })}</h3>
                <Requirements list={c.requirements.next} />
              </>
            )}
          </section>
          <section className="panel">
            <h2>
              {t('deal.tasks')} <span className="count">{openTasks.length}</span>
            </h2>
            {openTasks.length === 0 ? (
              <p className="muted">{t('deal.noTasks')}</p>
            ) : (
              <ul className="task-list">
                {openTasks.map((x) => (
                  <li key={x.id}>
                    <button
                      type="button"
                      className="check"
                      onClick={() => complete.mutate(x)}
                      aria-label={`${t('tasks.done')}: ${x.title}`}
                    >
                      ✓
                    </button>
                    <div className="task-main">
                      <span className="task-title">
                        {x.title} {x.playbook && <span className="badge">{t('deal.playbook')}</span>}
                      </span>
                      <span className={`muted${x.due_at && new Date(x.due_at).getTime() < Date.now() ? ' bad' : ''}`}>
                        {t('tasks.due')} {dateTime(x.due_at, tz)} · {x.owner ?? t('common.none')}
                      </span>
                    </div>
                  </li>
                ))}
              </ul>
            )}
            <details>
              <summary>{t('deal.addTask')}</summary>
              <AddTask dealId={id} zone={zone} onDone={refresh} />
            </details>
          </section>
          <CasesPanel
            filter={d.company_id ? { company_id: d.company_id } : { deal_id: d.id }}
            tz={tz}
            title={d.company_id ? t('acc.cases.panelCompany') : undefined}
          />
          <section className="panel">
            <h2>{t('deal.logActivity')}</h2>
            <LogActivity dealId={id} onDone={refresh} />
          </section>
          <NoteBox link={{ deal_id: id }} onAdded={refresh} tz={tz} />
          <JourneyPanel dealId={id} tz={tz} canAdd={false} />
          <section className="panel">
            <h2>{t('cards.history.title')}</h2>
            <CardTimeline items={c.timeline} tz={tz} currency={d.currency} blocks={c.blocks} />
          </section>
        </div>
      </div>
      {moving && (
        <MoveDialog
          me={me}
          dealId={id}
          version={d.version}
          stageId={moving.stageId}
          stageName={moving.stageName}
          missing={moving.missing}
          needsLossReason={moving.lost}
          onClose={() => setMoving(null)}
          onMoved={() => {
            setMoving(null);
            refresh();
          }}
        />
      )}
    </div>
  );
}

function Requirements({ list }: { list: (Missing & { filled: boolean })[] }) {
  const { t, i18n } = useTranslation();
  if (list.length === 0) return <p className="muted">{t('deal.nothingRequired')}</p>;
  return (
    <ul className="reqs">
      {list.map((r) => (
        <li key={r.field} className={r.filled ? 'ok' : 'missing'}>
          <span aria-hidden="true">{r.filled ? '✓' : '○'}</span> {i18n.language === 'ru' ? r.label_ru : r.label_en}
        </li>
      ))}
    </ul>
  );
}
