import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Named, type RequestBody } from '../../api';
import { Empty, ErrorState, Loading, Modal } from '../../components';
import { date } from '../../format';
import { fieldErrors, isConflict, KEY, type Preview, type Segment, TASK_TYPES, type Template, useTemplates } from './data';

type Draft = {
  title_ru: string;
  title_en: string;
  type: Template['type'];
  due_days: string;
  day_kind: Template['day_kind'];
  anchor_template_id: number | null;
  owner_rule: Template['owner_rule'];
  owner_id: number | null;
  on_stage_exit: Template['on_stage_exit'];
  segment_id: number | null;
  active: boolean;
};

const draftOf = (t: Template | null): Draft => ({
  title_ru: t?.title_ru ?? '',
  title_en: t?.title_en ?? '',
  type: t?.type ?? 'call',
  due_days: t ? String(t.due_days) : '1',
  day_kind: t?.day_kind ?? 'business',
  anchor_template_id: t?.anchor_template_id ?? null,
  owner_rule: t?.owner_rule ?? 'deal_owner',
  owner_id: t?.owner_id ?? null,
  on_stage_exit: t?.on_stage_exit ?? 'skip',
  segment_id: t?.segment_id ?? null,
  active: t?.active ?? true,
});

/** "in 3 business days after the entry" / "2 days after «Send the proposal»". */
export function useDueText() {
  const { t } = useTranslation();
  return (due_days: number, day_kind: string, anchorTitle: string | null) => {
    const days = t(`playbooks.due.${day_kind}`, { count: due_days });
    return anchorTitle === null ? t('playbooks.due.fromEntry', { days }) : t('playbooks.due.afterTask', { days, name: anchorTitle });
  };
}

/** The stage's playbook: its task templates, each edited in a form; turned off rather than deleted. */
export function Templates({
  stageId,
  stageName,
  segments,
  users,
  editable,
  say,
}: {
  stageId: number;
  stageName: string;
  segments: Segment[];
  users: Named[];
  editable: boolean;
  say: (note: string) => void;
}) {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  const q = useTemplates(stageId);
  const dueText = useDueText();
  const [editing, setEditing] = useState<Template | 'new' | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (q.isPending) return <Loading />;
  if (q.isError) return <ErrorState error={q.error} retry={() => q.refetch()} />;
  const items = q.data.items;
  const title = (x: Pick<Template, 'title_ru' | 'title_en'>) => (i18n.language === 'en' ? x.title_en : x.title_ru);
  const titleById = (id: number | null) => {
    const a = id === null ? null : items.find((x) => x.id === id);
    return a ? title(a) : null;
  };
  const toggle = async (x: Template) => {
    setError(null);
    try {
      await api(`/task-templates/${x.id}`, { method: 'PATCH', body: { version: x.version, active: !x.active } });
      say(t(x.active ? 'playbooks.templates.deactivated' : 'playbooks.templates.activated', { name: title(x) }));
    } catch (e) {
      setError(isConflict(e) ? t('playbooks.conflict') : (e as Error).message);
    }
    await qc.invalidateQueries({ queryKey: KEY });
  };
  return (
    <section className="panel pb-section" aria-labelledby="pb-tpl-title">
      <div className="pb-section-head">
        <h2 id="pb-tpl-title">{t('playbooks.templates.title')}</h2>
        {editable && (
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            {t('playbooks.templates.add')}
          </button>
        )}
      </div>
      <p className="muted pb-hint">{t('playbooks.templates.hint')}</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {items.length === 0 ? (
        <Empty>{t('playbooks.templates.empty')}</Empty>
      ) : (
        <ul className="pb-list pb-templates" data-testid="templates">
          {items.map((x) => (
            <li key={x.id} className={x.active ? '' : 'pb-off'} data-testid={`template-${x.id}`}>
              <span className="pb-item-main">
                <strong>{title(x)}</strong> <span className="badge">{t(`taskType.${x.type}`)}</span>
                {!x.active && <span className="badge warn">{t('playbooks.templates.inactive')}</span>}
                <span className="pb-meta">
                  {dueText(x.due_days, x.day_kind, titleById(x.anchor_template_id))}
                  {' · '}
                  {x.owner_rule === 'user'
                    ? (users.find((u) => u.id === x.owner_id)?.name ?? `#${x.owner_id}`)
                    : t('playbooks.templates.ownerRules.deal_owner')}
                  {' · '}
                  {x.segment_id === null
                    ? t('playbooks.templates.allSegments')
                    : (segments.find((s) => s.id === x.segment_id)?.name ?? `#${x.segment_id}`)}
                  {x.on_stage_exit === 'keep_open' && ` · ${t('playbooks.preview.keepsOpen')}`}
                </span>
              </span>
              {editable && (
                <span className="pb-item-actions">
                  <button type="button" onClick={() => setEditing(x)} aria-label={t('playbooks.templates.edit', { name: title(x) })}>
                    ✎
                  </button>
                  <button
                    type="button"
                    onClick={() => void toggle(x)}
                    aria-label={t(x.active ? 'playbooks.templates.deactivate' : 'playbooks.templates.activate', { name: title(x) })}
                  >
                    {t(x.active ? 'playbooks.templates.turnOff' : 'playbooks.templates.turnOn')}
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {editing && (
        <TemplateForm
          stageId={stageId}
          stageName={stageName}
          template={editing === 'new' ? null : editing}
          others={items.filter((x) => editing === 'new' || x.id !== editing.id)}
          position={items.length ? Math.max(...items.map((x) => x.position)) + 1 : 0}
          segments={segments}
          users={users}
          onClose={() => setEditing(null)}
          onSaved={async (saved, created) => {
            setEditing(null);
            say(created ? t('playbooks.templates.created', { name: title(saved) }) : t('playbooks.saved'));
            await qc.invalidateQueries({ queryKey: KEY });
          }}
        />
      )}
    </section>
  );
}

function TemplateForm({
  stageId,
  stageName,
  template,
  others,
  position,
  segments,
  users,
  onClose,
  onSaved,
}: {
  stageId: number;
  stageName: string;
  template: Template | null;
  others: Template[];
  position: number;
  segments: Segment[];
  users: Named[];
  onClose: () => void;
  onSaved: (t: Template, created: boolean) => Promise<void>;
}) {
  const { t, i18n } = useTranslation();
  const [base, setBase] = useState(template);
  const [d, setD] = useState<Draft>(() => draftOf(template));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [conflict, setConflict] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((x) => ({ ...x, [k]: v }));
  // The deadline this form would give a deal entering today, from the server's own planning.
  const draftDays = /^\d{1,3}$/.test(d.due_days.trim()) && Number(d.due_days) <= 365 ? Number(d.due_days) : null;
  const draft = useQuery({
    queryKey: [...KEY, 'draft', stageId, d.segment_id, draftDays, d.day_kind],
    queryFn: () =>
      api<Preview>(
        `/playbook-preview?stage_id=${stageId}${d.segment_id === null ? '' : `&segment_id=${d.segment_id}`}&due_days=${draftDays}&day_kind=${d.day_kind}`,
      ),
    enabled: draftDays !== null && d.anchor_template_id === null,
  });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setConflict(false);
    setNote(null);
    const days = Number(d.due_days);
    if (d.due_days.trim() === '' || !Number.isInteger(days)) {
      setErrors({ due_days: t('playbooks.templates.dueInvalid') });
      return;
    }
    const body = {
      title_ru: d.title_ru,
      title_en: d.title_en,
      type: d.type,
      due_days: days,
      day_kind: d.day_kind,
      anchor_template_id: d.anchor_template_id,
      owner_rule: d.owner_rule,
      owner_id: d.owner_rule === 'user' ? d.owner_id : null,
      on_stage_exit: d.on_stage_exit,
      segment_id: d.segment_id,
      active: d.active,
    };
    try {
      const saved = base
        ? await api<Template>(`/task-templates/${base.id}`, {
            method: 'PATCH',
            body: { ...body, version: base.version } satisfies RequestBody<'/api/v1/task-templates/{id}', 'patch'>,
          })
        : await api<Template>('/task-templates', {
            method: 'POST',
            body: { ...body, stage_id: stageId, position } satisfies RequestBody<'/api/v1/task-templates', 'post'>,
          });
      await onSaved(saved, !base);
    } catch (err) {
      if (isConflict(err)) setConflict(true);
      else setErrors(fieldErrors(err));
    }
  };
  const reload = async () => {
    if (!base) return;
    const fresh = await api<Template>(`/task-templates/${base.id}`);
    setBase(fresh);
    setD(draftOf(fresh));
    setConflict(false);
    setNote(t('playbooks.reloaded'));
  };
  const described = (key: string) => (errors[key] ? { 'aria-invalid': true as const, 'aria-describedby': `pb-tpl-${key}-error` } : {});
  const err = (key: string) =>
    errors[key] && (
      <p id={`pb-tpl-${key}-error`} className="field-error">
        {errors[key]}
      </p>
    );
  const title = (x: Template) => (i18n.language === 'en' ? x.title_en : x.title_ru);
  return (
    <Modal
      title={
        template ? t('playbooks.templates.editTitle', { name: title(template) }) : t('playbooks.templates.newTitle', { stage: stageName })
      }
      onClose={onClose}
      testId="template-form"
    >
      <form className="form compact" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="pb-tpl-title_ru">{t('playbooks.templates.titleRu')}</label>
          <input id="pb-tpl-title_ru" value={d.title_ru} onChange={(e) => set('title_ru', e.target.value)} {...described('title_ru')} />
          {err('title_ru')}
        </div>
        <div className="field">
          <label htmlFor="pb-tpl-title_en">{t('playbooks.templates.titleEn')}</label>
          <input
            id="pb-tpl-title_en"
            lang="en"
            value={d.title_en}
            onChange={(e) => set('title_en', e.target.value)}
            {...described('title_en')}
          />
          {err('title_en')}
        </div>
        <div className="row">
          <div className="field">
            <label htmlFor="pb-tpl-type">{t('playbooks.templates.type')}</label>
            <select id="pb-tpl-type" value={d.type} onChange={(e) => set('type', e.target.value as Draft['type'])} {...described('type')}>
              {TASK_TYPES.map((k) => (
                <option key={k} value={k}>
                  {t(`taskType.${k}`)}
                </option>
              ))}
            </select>
            {err('type')}
          </div>
          <div className="field">
            <label htmlFor="pb-tpl-segment_id">{t('playbooks.templates.segment')}</label>
            <select
              id="pb-tpl-segment_id"
              value={d.segment_id ?? ''}
              onChange={(e) => set('segment_id', e.target.value ? Number(e.target.value) : null)}
              {...described('segment_id')}
            >
              <option value="">{t('playbooks.templates.allSegments')}</option>
              {segments.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
            {err('segment_id')}
          </div>
        </div>
        <div className="row">
          <div className="field">
            <label htmlFor="pb-tpl-due_days">{t('playbooks.templates.dueDays')}</label>
            <input
              id="pb-tpl-due_days"
              type="number"
              inputMode="numeric"
              min={0}
              max={365}
              value={d.due_days}
              onChange={(e) => set('due_days', e.target.value)}
              {...described('due_days')}
            />
            {err('due_days')}
          </div>
          <div className="field">
            <label htmlFor="pb-tpl-day_kind">{t('playbooks.templates.dayKind')}</label>
            <select
              id="pb-tpl-day_kind"
              value={d.day_kind}
              onChange={(e) => set('day_kind', e.target.value as Draft['day_kind'])}
              {...described('day_kind')}
            >
              <option value="business">{t('playbooks.templates.dayKinds.business')}</option>
              <option value="calendar">{t('playbooks.templates.dayKinds.calendar')}</option>
            </select>
            {err('day_kind')}
          </div>
        </div>
        {d.anchor_template_id === null && draft.data?.draft && (
          <p className="muted pb-draft" data-testid="template-draft-due">
            {t('playbooks.templates.draftDue', { date: date(draft.data.draft.due_at, draft.data.timezone) })}
          </p>
        )}
        <div className="field">
          <label htmlFor="pb-tpl-anchor_template_id">{t('playbooks.templates.anchor')}</label>
          <select
            id="pb-tpl-anchor_template_id"
            value={d.anchor_template_id ?? ''}
            onChange={(e) => set('anchor_template_id', e.target.value ? Number(e.target.value) : null)}
            {...described('anchor_template_id')}
          >
            <option value="">{t('playbooks.templates.fromEntry')}</option>
            {others.map((x) => (
              <option key={x.id} value={x.id}>
                {t('playbooks.templates.fromTask', { name: title(x) })}
              </option>
            ))}
          </select>
          {err('anchor_template_id')}
        </div>
        <div className="row">
          <div className="field">
            <label htmlFor="pb-tpl-owner_rule">{t('playbooks.templates.owner')}</label>
            <select
              id="pb-tpl-owner_rule"
              value={d.owner_rule}
              onChange={(e) => set('owner_rule', e.target.value as Draft['owner_rule'])}
              {...described('owner_rule')}
            >
              <option value="deal_owner">{t('playbooks.templates.ownerRules.deal_owner')}</option>
              <option value="user">{t('playbooks.templates.ownerRules.user')}</option>
            </select>
            {err('owner_rule')}
          </div>
          {d.owner_rule === 'user' && (
            <div className="field">
              <label htmlFor="pb-tpl-owner_id">{t('playbooks.templates.ownerUser')}</label>
              <select
                id="pb-tpl-owner_id"
                value={d.owner_id ?? ''}
                onChange={(e) => set('owner_id', e.target.value ? Number(e.target.value) : null)}
                {...described('owner_id')}
              >
                <option value="">{t('playbooks.templates.chooseUser')}</option>
                {users.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name}
                  </option>
                ))}
              </select>
              {err('owner_id')}
            </div>
          )}
        </div>
        <div className="field">
          <label htmlFor="pb-tpl-on_stage_exit">{t('playbooks.templates.onExit')}</label>
          <select
            id="pb-tpl-on_stage_exit"
            value={d.on_stage_exit}
            onChange={(e) => set('on_stage_exit', e.target.value as Draft['on_stage_exit'])}
            {...described('on_stage_exit')}
          >
            <option value="skip">{t('playbooks.templates.onExits.skip')}</option>
            <option value="keep_open">{t('playbooks.templates.onExits.keep_open')}</option>
          </select>
          {err('on_stage_exit')}
        </div>
        <label className="check-label">
          <input type="checkbox" checked={d.active} onChange={(e) => set('active', e.target.checked)} />
          {t('playbooks.templates.active')}
        </label>
        {conflict && (
          <div className="error pb-conflict" role="alert">
            <p>{t('playbooks.conflict')}</p>
            <button type="button" onClick={() => void reload()}>
              {t('playbooks.reload')}
            </button>
          </div>
        )}
        {note && (
          <p className="notice" role="status">
            {note}
          </p>
        )}
        {(errors[''] || errors.stage_id) && (
          <p className="error" role="alert">
            {errors[''] ?? errors.stage_id}
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={onClose}>
            {t('playbooks.cancel')}
          </button>
          <button type="submit" className="primary">
            {t('playbooks.save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
