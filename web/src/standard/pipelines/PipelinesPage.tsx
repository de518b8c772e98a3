import {
  closestCenter,
  DndContext,
  type DragEndEvent,
  KeyboardSensor,
  PointerSensor,
  type UniqueIdentifier,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import { SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api, type Me, type Pipeline } from '../../api';
import { ErrorState, Loading, Modal } from '../../components';
import './pipelines.css';

type Stage = Pipeline['stages'][number];
type Templates = Answer<'/api/v1/pipeline-templates', 'get'>;
type Kind = Stage['kind'];

const KINDS: Kind[] = ['open', 'won', 'lost'];

/** One write, then the pipelines read again; a refusal is shown where the person acted. */
function useWrite(onError: (m: string | null) => void) {
  const qc = useQueryClient();
  return async (path: string, method: string, body?: unknown) => {
    onError(null);
    try {
      await api(path, { method, body });
      return true;
    } catch (e) {
      onError(e instanceof Error ? e.message : String(e));
      return false;
    } finally {
      await qc.invalidateQueries({ queryKey: ['standard-pipelines'] });
    }
  };
}

function StageRow({
  stage,
  index,
  count,
  editable,
  write,
  onMove,
  onArchive,
}: {
  stage: Stage;
  index: number;
  count: number;
  editable: boolean;
  write: ReturnType<typeof useWrite>;
  onMove?: (to: number) => void;
  onArchive: () => void;
}) {
  const { t } = useTranslation();
  const sortable = useSortable({ id: stage.id, disabled: !editable || !onMove });
  const [name, setName] = useState(stage.name);
  const [ru, setRu] = useState(stage.guidance_ru ?? '');
  const [en, setEn] = useState(stage.guidance_en ?? '');
  const style = { transform: CSS.Transform.toString(sortable.transform), transition: sortable.transition };
  const rename = () => {
    if (name.trim() && name.trim() !== stage.name)
      void write(`/stages/${stage.id}`, 'PATCH', { version: stage.version, name: name.trim() });
  };
  const saveGuidance = (e: FormEvent) => {
    e.preventDefault();
    void write(`/stages/${stage.id}`, 'PATCH', { version: stage.version, guidance_ru: ru.trim() || null, guidance_en: en.trim() || null });
  };
  return (
    <li ref={sortable.setNodeRef} style={style} className={`stage-row kind-${stage.kind}`} data-testid={`stage-${stage.name}`}>
      <div className="stage-line">
        {onMove && editable ? (
          <button
            type="button"
            className="drag-handle"
            aria-label={t('pipelines.drag', { name: stage.name })}
            {...sortable.attributes}
            {...sortable.listeners}
          >
            ⠿
          </button>
        ) : (
          <span className="drag-handle placeholder" aria-hidden="true" />
        )}
        {editable ? (
          <input
            className="stage-name"
            aria-label={`${t('pipelines.stageName')}: ${stage.name}`}
            value={name}
            onChange={(e) => setName(e.target.value)}
            onBlur={rename}
            onKeyDown={(e) => {
              if (e.key === 'Enter') rename();
            }}
          />
        ) : (
          <span className="stage-name">{stage.name}</span>
        )}
        {editable && !stage.has_history ? (
          <select
            aria-label={`${t('pipelines.kind')}: ${stage.name}`}
            value={stage.kind}
            onChange={(e) => void write(`/stages/${stage.id}`, 'PATCH', { version: stage.version, kind: e.target.value })}
          >
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`pipelines.kinds.${k}`)}
              </option>
            ))}
          </select>
        ) : (
          <span className={`kind-badge kind-${stage.kind}`}>{t(`pipelines.kinds.${stage.kind}`)}</span>
        )}
        <span className="muted stage-deals">{stage.kind === 'open' ? t('pipelines.openDeals', { count: stage.open_deals }) : ''}</span>
        {editable && (
          <span className="stage-actions">
            {onMove && (
              <>
                <button
                  type="button"
                  disabled={index === 0}
                  onClick={() => onMove(index - 1)}
                  aria-label={t('pipelines.up', { name: stage.name })}
                >
                  ↑
                </button>
                <button
                  type="button"
                  disabled={index === count - 1}
                  onClick={() => onMove(index + 1)}
                  aria-label={t('pipelines.down', { name: stage.name })}
                >
                  ↓
                </button>
              </>
            )}
            <button type="button" onClick={onArchive}>
              {t('pipelines.archive')}
            </button>
            {!stage.has_history && (
              <button
                type="button"
                title={t('pipelines.deleteHint')}
                onClick={() => void write(`/stages/${stage.id}?version=${stage.version}`, 'DELETE')}
              >
                {t('pipelines.delete')}
              </button>
            )}
          </span>
        )}
      </div>
      <details className="guidance">
        <summary>{t('pipelines.guidance')}</summary>
        <form onSubmit={saveGuidance} className="form">
          <div className="field">
            <label htmlFor={`g-ru-${stage.id}`}>{t('pipelines.guidanceRu')}</label>
            <textarea id={`g-ru-${stage.id}`} value={ru} readOnly={!editable} onChange={(e) => setRu(e.target.value)} rows={2} />
          </div>
          <div className="field">
            <label htmlFor={`g-en-${stage.id}`}>{t('pipelines.guidanceEn')}</label>
            <textarea id={`g-en-${stage.id}`} value={en} readOnly={!editable} onChange={(e) => setEn(e.target.value)} rows={2} />
          </div>
          {editable && <button type="submit">{t('pipelines.save')}</button>}
        </form>
      </details>
    </li>
  );
}

/** Archive a stage: choose where its open deals go, with the sentence of what will happen. */
function ArchiveDialog({
  stage,
  targets,
  onClose,
  write,
}: {
  stage: Stage;
  targets: Stage[];
  onClose: () => void;
  write: ReturnType<typeof useWrite>;
}) {
  const { t } = useTranslation();
  const [to, setTo] = useState(targets.find((s) => s.position < stage.position && s.kind === 'open')?.id ?? targets[0]?.id ?? 0);
  const target = targets.find((s) => s.id === to);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = stage.open_deals > 0 ? { version: stage.version, move_open_to: to } : { version: stage.version };
    if (await write(`/stages/${stage.id}/archive`, 'POST', body)) onClose();
  };
  return (
    <Modal title={t('pipelines.archiveTitle', { name: stage.name })} onClose={onClose} testId="archive-dialog">
      <form className="form" onSubmit={submit}>
        <p>{t('pipelines.archiveHint')}</p>
        {stage.open_deals > 0 && (
          <div className="field">
            <label htmlFor="archive-target">{t('pipelines.moveTo')}</label>
            <select id="archive-target" value={to} onChange={(e) => setTo(Number(e.target.value))}>
              {targets.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <p className="preview" role="status" data-testid="archive-preview">
          {stage.open_deals > 0 && target
            ? t('pipelines.preview', { count: stage.open_deals, stage: target.name })
            : t('pipelines.previewNone')}
        </p>
        <div className="actions">
          <button type="button" onClick={onClose}>
            {t('pipelines.cancel')}
          </button>
          <button type="submit" className="primary">
            {t('pipelines.archive')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function PipelineEditor({ pipeline, editable, write }: { pipeline: Pipeline; editable: boolean; write: ReturnType<typeof useWrite> }) {
  const { t } = useTranslation();
  const [name, setName] = useState(pipeline.name);
  const [newStage, setNewStage] = useState({ name: '', kind: 'open' as Kind });
  const [archiving, setArchiving] = useState<Stage | null>(null);
  const lastOver = useRef<UniqueIdentifier | undefined>(undefined);
  const live = pipeline.stages.filter((s) => !s.archived);
  const open = live.filter((s) => s.kind === 'open');
  const closed = live.filter((s) => s.kind !== 'open');
  const archived = pipeline.stages.filter((s) => s.archived);
  const sensors = useSensors(useSensor(PointerSensor), useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }));
  // The stage takes the position of the one at its new place: the server puts it before or after that one.
  const moveTo = (stage: Stage, index: number) => {
    const at = open[index];
    if (at && at.id !== stage.id) void write(`/stages/${stage.id}`, 'PATCH', { version: stage.version, position: at.position });
  };
  const onDragEnd = (e: DragEndEvent) => {
    const stage = open.find((s) => s.id === e.active.id);
    const index = open.findIndex((s) => s.id === e.over?.id);
    if (stage && index >= 0) moveTo(stage, index);
  };
  const position = (id: unknown) => open.findIndex((s) => s.id === id) + 1;
  const stageName = (id: unknown) => open.find((s) => s.id === id)?.name ?? '';
  const addStage = async (e: FormEvent) => {
    e.preventDefault();
    if (await write('/stages', 'POST', { pipeline_id: pipeline.id, name: newStage.name.trim(), kind: newStage.kind }))
      setNewStage({ name: '', kind: 'open' });
  };
  const renamePipeline = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && name.trim() !== pipeline.name)
      void write(`/pipelines/${pipeline.id}`, 'PATCH', { version: pipeline.version, name: name.trim() });
  };
  const row = (s: Stage, i: number, list: Stage[], movable: boolean) => (
    <StageRow
      key={`${s.id}-${s.version}`}
      stage={s}
      index={i}
      count={list.length}
      editable={editable}
      write={write}
      onMove={movable ? (to) => moveTo(s, to) : undefined}
      onArchive={() => setArchiving(s)}
    />
  );
  return (
    <section className="panel pipeline-editor" aria-labelledby="pipeline-stages-title">
      {editable ? (
        <form className="pipeline-head" onSubmit={renamePipeline}>
          <div className="field">
            <label htmlFor="pipeline-name">{t('pipelines.name')}</label>
            <input id="pipeline-name" value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <button type="submit">{t('pipelines.rename')}</button>
          <button
            type="button"
            onClick={() => void write(`/pipelines/${pipeline.id}`, 'PATCH', { version: pipeline.version, archived: !pipeline.archived })}
          >
            {pipeline.archived ? t('pipelines.restore') : t('pipelines.archive')}
          </button>
        </form>
      ) : null}
      <h2 id="pipeline-stages-title">{t('pipelines.stages', { name: pipeline.name })}</h2>
      <p className="muted">{t('pipelines.order')}</p>
      <DndContext
        sensors={sensors}
        collisionDetection={closestCenter}
        onDragEnd={onDragEnd}
        accessibility={{
          screenReaderInstructions: { draggable: t('pipelines.dnd.instructions') },
          announcements: {
            onDragStart: ({ active }) => {
              lastOver.current = active.id;
              return t('pipelines.dnd.start', { name: stageName(active.id) });
            },
            // Said when the place changes: not for its own place as it is picked up (the pick-up is said).
            onDragOver: ({ active, over }) => {
              if (over?.id === lastOver.current) return undefined;
              lastOver.current = over?.id;
              return t('pipelines.dnd.over', { name: stageName(active.id), position: position(over?.id) });
            },
            onDragEnd: ({ active, over }) => t('pipelines.dnd.end', { name: stageName(active.id), position: position(over?.id) }),
            onDragCancel: ({ active }) => t('pipelines.dnd.cancel', { name: stageName(active.id) }),
          },
        }}
      >
        <SortableContext items={open.map((s) => s.id)} strategy={verticalListSortingStrategy}>
          <ol className="stage-list" data-testid="open-stages">
            {open.map((s, i) => row(s, i, open, true))}
          </ol>
        </SortableContext>
      </DndContext>
      <ol className="stage-list closed" data-testid="closed-stages">
        {closed.map((s, i) => row(s, i, closed, false))}
      </ol>
      {editable && (
        <form className="add-stage" onSubmit={addStage}>
          <div className="field">
            <label htmlFor="new-stage-name">{t('pipelines.stageName')}</label>
            <input
              id="new-stage-name"
              required
              value={newStage.name}
              onChange={(e) => setNewStage({ ...newStage, name: e.target.value })}
            />
          </div>
          <div className="field">
            <label htmlFor="new-stage-kind">{t('pipelines.kind')}</label>
            <select id="new-stage-kind" value={newStage.kind} onChange={(e) => setNewStage({ ...newStage, kind: e.target.value as Kind })}>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`pipelines.kinds.${k}`)}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">{t('pipelines.addStage')}</button>
        </form>
      )}
      {archived.length > 0 && (
        <>
          <h3>{t('pipelines.archivedStages')}</h3>
          <ul className="archived-list" data-testid="archived-stages">
            {archived.map((s) => (
              <li key={s.id}>
                <span>{s.name}</span> <span className="muted">{t(`pipelines.kinds.${s.kind}`)}</span>
                {editable && (
                  <button type="button" onClick={() => void write(`/stages/${s.id}/restore`, 'POST', { version: s.version })}>
                    {t('pipelines.restore')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      {archiving && (
        <ArchiveDialog
          stage={archiving}
          targets={open.filter((s) => s.id !== archiving.id)}
          onClose={() => setArchiving(null)}
          write={write}
        />
      )}
    </section>
  );
}

function AddPipeline({
  templates,
  write,
  onCreated,
}: {
  templates: Templates['items'];
  write: ReturnType<typeof useWrite>;
  onCreated: () => void;
}) {
  const { t, i18n } = useTranslation();
  const [name, setName] = useState('');
  const [from, setFrom] = useState('');
  const empty =
    i18n.language === 'ru'
      ? [
          { name: 'Новая', kind: 'open' },
          { name: 'Успешно', kind: 'won' },
          { name: 'Не реализовано', kind: 'lost' },
        ]
      : [
          { name: 'New', kind: 'open' },
          { name: 'Won', kind: 'won' },
          { name: 'Lost', kind: 'lost' },
        ];
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const stages = from === '' ? empty : (templates[Number(from)]?.stages ?? empty);
    if (await write('/pipelines', 'POST', { name: name.trim(), stages })) {
      setName('');
      onCreated();
    }
  };
  return (
    <form className="form add-pipeline" onSubmit={submit}>
      <div className="field">
        <label htmlFor="new-pipeline-name">{t('pipelines.name')}</label>
        <input id="new-pipeline-name" required value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="new-pipeline-template">{t('pipelines.template')}</label>
        <select id="new-pipeline-template" value={from} onChange={(e) => setFrom(e.target.value)}>
          <option value="">{t('pipelines.templateEmpty')}</option>
          {templates.map((tp, i) => (
            <option key={`${tp.template}-${tp.name}`} value={i}>
              {t('pipelines.templateOf', { name: tp.name, count: tp.stages.length })}
            </option>
          ))}
        </select>
      </div>
      <button type="submit">{t('pipelines.add')}</button>
    </form>
  );
}

/** The tab «Воронки и этапы» of the standard: several pipelines, each with its stages in funnel order. */
export default function PipelinesPage({ editable }: { me: Me; editable: boolean }) {
  const { t } = useTranslation();
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const write = useWrite(setError);
  const list = useQuery({ queryKey: ['standard-pipelines'], queryFn: () => api<Answer<'/api/v1/pipelines', 'get'>>('/pipelines') });
  const templates = useQuery({
    queryKey: ['pipeline-templates'],
    queryFn: () => api<Templates>('/pipeline-templates'),
    staleTime: Number.POSITIVE_INFINITY,
    enabled: editable,
  });
  if (list.isPending) return <Loading />;
  if (list.isError) return <ErrorState error={list.error} retry={() => list.refetch()} />;
  const items = list.data.items;
  const current = items.find((p) => p.id === selected) ?? items.find((p) => !p.archived) ?? items[0];
  return (
    <div className="pipelines-page">
      <h2 className="sr-only">{t('pipelines.title')}</h2>
      {!editable && <p className="muted">{t('pipelines.readOnly')}</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="pipelines-layout">
        <nav className="panel pipeline-list" aria-label={t('pipelines.list')}>
          <h2>{t('pipelines.list')}</h2>
          <ul>
            {items.map((p) => (
              <li key={p.id}>
                <button
                  type="button"
                  className={p.id === current?.id ? 'pipeline-pick active' : 'pipeline-pick'}
                  aria-current={p.id === current?.id ? 'true' : undefined}
                  onClick={() => setSelected(p.id)}
                >
                  {p.name}
                  {p.archived && <span className="muted"> · {t('pipelines.archived')}</span>}
                </button>
              </li>
            ))}
          </ul>
          {editable && (
            <AddPipeline
              templates={templates.data?.items ?? []}
              write={write}
              onCreated={() => {
                void list.refetch().then((r) => {
                  const last = r.data?.items.at(-1);
                  if (last) setSelected(last.id);
                });
              }}
            />
          )}
        </nav>
        {current && <PipelineEditor key={`${current.id}-${current.version}`} pipeline={current} editable={editable} write={write} />}
      </div>
    </div>
  );
}
