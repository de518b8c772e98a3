import {
  closestCorners,
  DndContext,
  type DragEndEvent,
  KeyboardSensor,
  PointerSensor,
  useDroppable,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import { SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api, type Block, type Me } from '../../api';
import { CardBlocks } from '../../cards/blocks';
import type { FieldSpec } from '../../cards/edit';
import { ErrorState, Loading } from '../../components';
import { useUsers } from '../../lookups';
import { blocksOf, changeCount, type Draft, draftOf, type Layout, type LayoutField, layoutBody, moveField, suggestKey } from './layout';
import './designer.css';

export const OBJECTS = ['deal', 'company', 'contact', 'lead'] as const;
export type CardObject = (typeof OBJECTS)[number];

/**
 * The card designer (issue 17): one object's card at a time — blocks as panels (add, rename,
 * reorder, pin, remove when empty), fields as chips dragged between and within blocks (or moved
 * with the "Блок" select and the up/down buttons, for a keyboard or a phone), new fields, and beside
 * it the card as everyone will see it, unsaved changes included. "Сохранить" sends the whole layout
 * in one PUT; a layout changed by someone meanwhile answers 409 and is said so.
 */
export default function CardDesignerPage({ editable }: { me: Me; editable: boolean }) {
  const { t } = useTranslation();
  const [object, setObject] = useState<CardObject>('deal');
  // Kept here: a save remounts the designer on the new version.
  const [saved, setSaved] = useState(false);
  const layout = useQuery({ queryKey: ['card-layout', object], queryFn: () => api<Layout>(`/card-layouts/${object}`) });
  return (
    <div className="designer" data-testid="card-designer">
      <p className="muted">{t('designer.intro')}</p>
      <p className="designer-same" data-testid="same-for-all">
        {t('designer.sameForAll')}
        {!editable && ` ${t('designer.readOnly')}`}
      </p>
      <fieldset className="designer-objects">
        <legend>{t('designer.object')}</legend>
        {OBJECTS.map((o) => (
          <button
            key={o}
            type="button"
            className={o === object ? 'primary' : ''}
            aria-pressed={o === object}
            onClick={() => setObject(o)}
            data-testid={`designer-object-${o}`}
          >
            {t(`designer.objects.${o}`)}
          </button>
        ))}
      </fieldset>
      {layout.isPending ? (
        <Loading />
      ) : layout.isError ? (
        <ErrorState error={layout.error} retry={() => void layout.refetch()} />
      ) : (
        <Designer
          key={`${object}-${layout.data.version}`}
          object={object}
          layout={layout.data}
          editable={editable}
          saved={saved}
          setSaved={setSaved}
        />
      )}
    </div>
  );
}

function Designer({
  object,
  layout,
  editable,
  saved,
  setSaved,
}: {
  object: CardObject;
  layout: Layout;
  editable: boolean;
  saved: boolean;
  setSaved: (v: boolean) => void;
}) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const initial = useMemo(() => draftOf(layout), [layout]);
  const [draft, setDraft] = useState<Draft>(initial);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ conflict: boolean; text: string } | null>(null);
  const changes = changeCount(initial, draft);
  useEffect(() => {
    if (changes > 0) setSaved(false);
  }, [changes, setSaved]);
  const save = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const body = layoutBody(layout.version, draft);
      const next = await api<Layout>(`/card-layouts/${object}`, { method: 'PUT', body });
      qc.setQueryData(['card-layout', object], next);
      // Cards and lists read blocks and fields of their own; they read them again.
      await qc.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'card-layout' });
      setSaved(true);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) setProblem({ conflict: true, text: t('designer.conflict') });
      else
        setProblem({
          conflict: false,
          text: e instanceof ApiError ? [e.message, ...e.fields.map((f) => f.message)].join(' ') : String(e),
        });
    } finally {
      setBusy(false);
    }
  };
  const reload = async () => {
    setProblem(null);
    await qc.invalidateQueries({ queryKey: ['card-layout', object] });
  };
  return (
    <div className="designer-grid">
      <section className="panel designer-editor" aria-labelledby="designer-layout-h">
        <h2 id="designer-layout-h">{t('designer.designerTitle')}</h2>
        <LayoutEditor draft={draft} setDraft={setDraft} editable={editable} object={object} />
        {editable && <AddBlock draft={draft} setDraft={setDraft} />}
        {editable && <AddField draft={draft} setDraft={setDraft} existing={initial} />}
        {editable && (
          <div className="designer-actions">
            {/* The save bar sticks to the bottom of the screen while the layout is long. */}
            <span className="muted" role="status" data-testid="designer-status">
              {changes > 0 ? t('designer.unsaved', { count: changes }) : saved ? t('designer.saved') : t('designer.noChanges')}
            </span>
            <button type="button" onClick={() => setDraft(initial)} disabled={busy || changes === 0}>
              {t('designer.cancel')}
            </button>
            <button
              type="button"
              className="primary"
              onClick={() => void save()}
              disabled={busy || changes === 0}
              data-testid="designer-save"
            >
              {t('designer.save')}
            </button>
          </div>
        )}
        {problem && (
          <div className="cf-conflict" role="alert" data-testid="designer-problem">
            <p>{problem.text}</p>
            {problem.conflict && (
              <button type="button" className="primary" onClick={() => void reload()}>
                {t('designer.reload')}
              </button>
            )}
          </div>
        )}
      </section>
      <Preview draft={draft} object={object} />
    </div>
  );
}

const containerId = (cid: string) => `c:${cid}`;
const fieldId = (key: string) => `f:${key}`;

function LayoutEditor({
  draft,
  setDraft,
  editable,
  object,
}: {
  draft: Draft;
  setDraft: (d: Draft) => void;
  editable: boolean;
  object: CardObject;
}) {
  const { t, i18n } = useTranslation();
  const ru = i18n.language === 'ru';
  const sensors = useSensors(useSensor(PointerSensor), useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }));
  const label = (key: string) => {
    const f = draft.fields[key];
    return f ? (ru ? f.label_ru : f.label_en) : key;
  };
  const containers = [
    ...draft.blocks.map((b) => ({ cid: b.cid, name: ru ? b.name_ru : b.name_en })),
    { cid: 'loose', name: t('designer.loose') },
  ];
  const where = (id: unknown): { cid: string; index: number } | null => {
    const s = String(id);
    if (s.startsWith('c:')) {
      const cid = s.slice(2);
      const list = cid === 'loose' ? draft.loose : draft.blocks.find((b) => b.cid === cid)?.fields;
      return list ? { cid, index: list.length } : null;
    }
    const key = s.slice(2);
    if (draft.loose.includes(key)) return { cid: 'loose', index: draft.loose.indexOf(key) };
    const b = draft.blocks.find((x) => x.fields.includes(key));
    return b ? { cid: b.cid, index: b.fields.indexOf(key) } : null;
  };
  const blockName = (id: unknown) => containers.find((c) => c.cid === where(id)?.cid)?.name ?? '';
  const onDragEnd = (e: DragEndEvent) => {
    if (!e.over) return;
    const to = where(e.over.id);
    if (to) setDraft(moveField(draft, String(e.active.id).slice(2), to.cid, to.index));
  };
  const moveBlock = (i: number, by: number) => {
    const blocks = [...draft.blocks];
    const [b] = blocks.splice(i, 1);
    blocks.splice(i + by, 0, b);
    setDraft({ ...draft, blocks });
  };
  const patchBlock = (cid: string, patch: Partial<Draft['blocks'][number]>) =>
    setDraft({ ...draft, blocks: draft.blocks.map((b) => (b.cid === cid ? { ...b, ...patch } : b)) });
  const chips = (cid: string, keys: string[]) => (
    <SortableContext items={keys.map(fieldId)} strategy={verticalListSortingStrategy}>
      <Drop id={containerId(cid)} empty={keys.length === 0}>
        {keys.map((k, i) => (
          <FieldChip
            key={k}
            fieldKey={k}
            label={label(k)}
            field={draft.fields[k]}
            editable={editable}
            object={object}
            containers={containers}
            cid={cid}
            first={i === 0}
            last={i === keys.length - 1}
            onMove={(toCid, index) => setDraft(moveField(draft, k, toCid, index))}
            index={i}
          />
        ))}
      </Drop>
    </SortableContext>
  );
  return (
    <DndContext
      sensors={sensors}
      collisionDetection={closestCorners}
      onDragEnd={editable ? onDragEnd : undefined}
      accessibility={{
        screenReaderInstructions: { draggable: t('designer.dnd.instructions') },
        announcements: {
          onDragStart: ({ active }) => t('designer.dnd.start', { name: label(String(active.id).slice(2)) }),
          onDragOver: ({ active, over }) => t('designer.dnd.over', { name: label(String(active.id).slice(2)), block: blockName(over?.id) }),
          onDragEnd: ({ active, over }) => t('designer.dnd.end', { name: label(String(active.id).slice(2)), block: blockName(over?.id) }),
          onDragCancel: ({ active }) => t('designer.dnd.cancel', { name: label(String(active.id).slice(2)) }),
        },
      }}
    >
      <ol className="designer-blocks" aria-label={t('designer.blocks')}>
        {draft.blocks.map((b, i) => (
          <li key={b.cid} className={`designer-block${b.pinned ? ' pinned' : ''}`} data-testid={`designer-block-${b.name_ru}`}>
            <BlockHead
              block={b}
              editable={editable}
              first={i === 0}
              last={i === draft.blocks.length - 1}
              taken={draft.blocks.filter((x) => x.cid !== b.cid).map((x) => x.name_ru.trim().toLowerCase())}
              onPatch={(p) => patchBlock(b.cid, p)}
              onMove={(by) => moveBlock(i, by)}
              onRemove={() => setDraft({ ...draft, blocks: draft.blocks.filter((x) => x.cid !== b.cid) })}
            />
            {chips(b.cid, b.fields)}
          </li>
        ))}
        <li className="designer-block loose" data-testid="designer-block-loose">
          <div className="designer-block-head">
            <h3>{t('designer.loose')}</h3>
            <span className="muted small">{t('designer.looseHint')}</span>
          </div>
          {chips('loose', draft.loose)}
        </li>
      </ol>
    </DndContext>
  );
}

/** A block's (or the loose fields') list, a drop target also when empty. */
function Drop({ id, empty, children }: { id: string; empty: boolean; children: React.ReactNode }) {
  const { t } = useTranslation();
  const { setNodeRef, isOver } = useDroppable({ id });
  return (
    <ul ref={setNodeRef} className={`designer-fields${isOver ? ' over' : ''}`}>
      {children}
      {empty && <li className="designer-empty muted">{t('designer.emptyBlock')}</li>}
    </ul>
  );
}

function BlockHead({
  block,
  editable,
  first,
  last,
  taken,
  onPatch,
  onMove,
  onRemove,
}: {
  block: Draft['blocks'][number];
  editable: boolean;
  first: boolean;
  last: boolean;
  taken: string[];
  onPatch: (p: Partial<Draft['blocks'][number]>) => void;
  onMove: (by: number) => void;
  onRemove: () => void;
}) {
  const { t, i18n } = useTranslation();
  const ru = i18n.language === 'ru';
  const uid = useId();
  const [renaming, setRenaming] = useState(false);
  const [names, setNames] = useState({ ru: block.name_ru, en: block.name_en });
  const name = ru ? block.name_ru : block.name_en;
  const error =
    !names.ru.trim() || !names.en.trim()
      ? t('designer.errors.required')
      : taken.includes(names.ru.trim().toLowerCase())
        ? t('designer.errors.blockTaken', { name: names.ru.trim() })
        : null;
  const done = (e: FormEvent) => {
    e.preventDefault();
    if (error) return;
    onPatch({ name_ru: names.ru.trim(), name_en: names.en.trim() });
    setRenaming(false);
  };
  if (renaming)
    return (
      <form className="designer-block-head renaming" onSubmit={done}>
        <div className="field">
          <label htmlFor={`${uid}-ru`}>{t('designer.nameRu')}</label>
          <input
            id={`${uid}-ru`}
            value={names.ru}
            onChange={(e) => setNames({ ...names, ru: e.target.value })}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${uid}-err` : undefined}
          />
        </div>
        <div className="field">
          <label htmlFor={`${uid}-en`}>{t('designer.nameEn')}</label>
          <input id={`${uid}-en`} value={names.en} onChange={(e) => setNames({ ...names, en: e.target.value })} />
        </div>
        {error && (
          <p className="cf-error" id={`${uid}-err`} role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary small">
          {t('designer.done')}
        </button>
      </form>
    );
  const empty = block.fields.length === 0;
  return (
    <div className="designer-block-head">
      <h3>
        {name} {block.pinned && <span className="badge">{t('designer.pinned')}</span>}
      </h3>
      {editable && (
        <span className="designer-tools">
          {/* A toggle: its name stays «Закрепить…» and aria-pressed says whether it is on (a name that
              turned into «Открепить» while the label said «Закрепить» was read wrong: label-content-name-mismatch). */}
          <button
            type="button"
            className={block.pinned ? 'small primary' : 'small'}
            aria-pressed={block.pinned}
            aria-label={t('designer.pinLabel', { name })}
            onClick={() => onPatch({ pinned: !block.pinned })}
          >
            {t('designer.pin')}
          </button>
          <button type="button" className="small" disabled={first} aria-label={t('designer.blockUp', { name })} onClick={() => onMove(-1)}>
            ↑
          </button>
          <button type="button" className="small" disabled={last} aria-label={t('designer.blockDown', { name })} onClick={() => onMove(1)}>
            ↓
          </button>
          <button type="button" className="small" aria-label={t('designer.renameLabel', { name })} onClick={() => setRenaming(true)}>
            {t('designer.rename')}
          </button>
          <button
            type="button"
            className="small"
            disabled={!empty}
            title={empty ? undefined : t('designer.removeOnlyEmpty')}
            aria-label={t('designer.removeLabel', { name })}
            onClick={onRemove}
          >
            {t('designer.remove')}
          </button>
        </span>
      )}
    </div>
  );
}

/** «нужно для: Демо (SMB), КП отправлено»: the stages that ask a deal for the field. */
export function askedBy(field: Pick<LayoutField, 'required_by'> | undefined, t: (k: string, o?: object) => string): string | null {
  if (!field || field.required_by.length === 0) return null;
  const stages = field.required_by.map((r) => (r.segments ? `${r.stage} (${r.segments.join(', ')})` : r.stage));
  return t('designer.needFor', { stages: [...new Set(stages)].join(', ') });
}

function FieldChip({
  fieldKey,
  label,
  field,
  editable,
  object,
  containers,
  cid,
  index,
  first,
  last,
  onMove,
}: {
  fieldKey: string;
  label: string;
  field: Draft['fields'][string] | undefined;
  editable: boolean;
  object: CardObject;
  containers: { cid: string; name: string }[];
  cid: string;
  index: number;
  first: boolean;
  last: boolean;
  onMove: (cid: string, index: number) => void;
}) {
  const { t } = useTranslation();
  const uid = useId();
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({
    id: fieldId(fieldKey),
    disabled: !editable,
  });
  const asked = object === 'deal' ? askedBy(field, t as unknown as (k: string, o?: object) => string) : null;
  return (
    <li
      ref={setNodeRef}
      style={{ transform: CSS.Transform.toString(transform), transition }}
      className={`designer-chip${isDragging ? ' dragging' : ''}`}
      data-testid={`designer-field-${fieldKey}`}
    >
      <span className="designer-chip-main">
        {editable ? (
          <button type="button" className="designer-handle" aria-label={label} {...attributes} {...listeners}>
            ⠿ <span>{label}</span>
          </button>
        ) : (
          <span className="designer-handle static">{label}</span>
        )}
        <span className="designer-type muted small">
          {field ? t(`designer.types.${field.type}`) : ''}
          {field?.isNew && <span className="badge">{t('designer.newMark')}</span>}
        </span>
        {asked && (
          <span className="designer-asked small" data-testid={`asked-${fieldKey}`}>
            {asked}
          </span>
        )}
      </span>
      {editable && (
        <span className="designer-tools">
          <label className="sr-only" htmlFor={`${uid}-to`}>
            {t('designer.moveToLabel', { name: label })}
          </label>
          <select
            id={`${uid}-to`}
            value={cid}
            onChange={(e) => onMove(e.target.value, Number.MAX_SAFE_INTEGER)}
            data-testid={`move-${fieldKey}`}
          >
            {containers.map((c) => (
              <option key={c.cid} value={c.cid}>
                {c.name}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="small"
            disabled={first}
            aria-label={t('designer.fieldUp', { name: label })}
            onClick={() => onMove(cid, index - 1)}
          >
            ↑
          </button>
          <button
            type="button"
            className="small"
            disabled={last}
            aria-label={t('designer.fieldDown', { name: label })}
            onClick={() => onMove(cid, index + 1)}
          >
            ↓
          </button>
        </span>
      )}
    </li>
  );
}

function AddBlock({ draft, setDraft }: { draft: Draft; setDraft: (d: Draft) => void }) {
  const { t } = useTranslation();
  const uid = useId();
  const [names, setNames] = useState({ ru: '', en: '' });
  const [touched, setTouched] = useState(false);
  const taken = draft.blocks.some((b) => b.name_ru.trim().toLowerCase() === names.ru.trim().toLowerCase());
  const error = !names.ru.trim()
    ? t('designer.errors.required')
    : taken
      ? t('designer.errors.blockTaken', { name: names.ru.trim() })
      : null;
  const add = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (error) return;
    const ru = names.ru.trim();
    setDraft({
      ...draft,
      blocks: [
        ...draft.blocks,
        { cid: `new-${Date.now()}`, id: null, name_ru: ru, name_en: names.en.trim() || ru, pinned: false, fields: [] },
      ],
    });
    setNames({ ru: '', en: '' });
    setTouched(false);
  };
  return (
    <form className="designer-form" onSubmit={add} noValidate>
      <h3>{t('designer.newBlock')}</h3>
      <div className="designer-form-row">
        <div className="field">
          <label htmlFor={`${uid}-ru`}>{t('designer.nameRu')}</label>
          <input
            id={`${uid}-ru`}
            value={names.ru}
            onChange={(e) => setNames({ ...names, ru: e.target.value })}
            aria-invalid={touched && error ? true : undefined}
            aria-describedby={touched && error ? `${uid}-err` : undefined}
            data-testid="new-block-name"
          />
          {touched && error && (
            <p className="cf-error" id={`${uid}-err`}>
              {error}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor={`${uid}-en`}>{t('designer.nameEn')}</label>
          <input id={`${uid}-en`} value={names.en} onChange={(e) => setNames({ ...names, en: e.target.value })} />
        </div>
        <button type="submit">{t('designer.addBlock')}</button>
      </div>
    </form>
  );
}

const KEY = /^[a-z][a-z0-9_]{0,62}$/;
const TYPES = ['text', 'number', 'money', 'date', 'choice', 'multi_choice', 'user', 'link'] as const;

function AddField({ draft, setDraft, existing }: { draft: Draft; setDraft: (d: Draft) => void; existing: Draft }) {
  const { t, i18n } = useTranslation();
  const ru = i18n.language === 'ru';
  const uid = useId();
  const empty = { label_ru: '', label_en: '', key: '', keyEdited: false, type: 'text' as (typeof TYPES)[number], choices: '', block: '' };
  const [f, setF] = useState(empty);
  const [touched, setTouched] = useState(false);
  const key = f.keyEdited ? f.key : suggestKey(f.label_en || f.label_ru);
  const choices = f.choices
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  const withChoices = f.type === 'choice' || f.type === 'multi_choice';
  const dup = choices.find((c, i) => choices.indexOf(c) !== i);
  const errors: Record<string, string | null> = {
    label_ru: f.label_ru.trim() ? null : t('designer.errors.required'),
    key: !KEY.test(key) ? t('designer.errors.key') : draft.fields[key] || existing.fields[key] ? t('designer.errors.keyTaken') : null,
    choices: !withChoices
      ? null
      : choices.length === 0
        ? t('designer.errors.choices')
        : dup
          ? t('designer.errors.choiceTwice', { value: dup })
          : null,
  };
  const shown = (name: string) => (touched ? errors[name] : null);
  const add = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (Object.values(errors).some(Boolean)) return;
    const label_ru = f.label_ru.trim();
    const label_en = f.label_en.trim() || label_ru;
    const values = choices.map((c) => ({ value: suggestKey(c) || c.slice(0, 100), label_ru: c, label_en: c }));
    const field = { key, label_ru, label_en, type: f.type, choices: withChoices ? values : [], required_by: [], isNew: true };
    const block = f.block || 'loose';
    const next = { ...draft, fields: { ...draft.fields, [key]: field } };
    setDraft(
      block === 'loose'
        ? { ...next, loose: [...next.loose, key] }
        : { ...next, blocks: next.blocks.map((b) => (b.cid === block ? { ...b, fields: [...b.fields, key] } : b)) },
    );
    setF({ ...empty, block: f.block });
    setTouched(false);
  };
  const input = (name: 'label_ru' | 'label_en', label: string) => (
    <div className="field">
      <label htmlFor={`${uid}-${name}`}>{label}</label>
      <input
        id={`${uid}-${name}`}
        value={f[name]}
        onChange={(e) => setF({ ...f, [name]: e.target.value })}
        aria-invalid={shown(name) ? true : undefined}
        aria-describedby={shown(name) ? `${uid}-${name}-err` : undefined}
        data-testid={`new-field-${name}`}
      />
      {shown(name) && (
        <p className="cf-error" id={`${uid}-${name}-err`}>
          {shown(name)}
        </p>
      )}
    </div>
  );
  return (
    <form className="designer-form" onSubmit={add} noValidate data-testid="new-field">
      <h3>{t('designer.addField')}</h3>
      <div className="designer-form-row">
        {input('label_ru', t('designer.labelRu'))}
        {input('label_en', t('designer.labelEn'))}
        <div className="field">
          <label htmlFor={`${uid}-key`}>{t('designer.key')}</label>
          <input
            id={`${uid}-key`}
            value={key}
            onChange={(e) => setF({ ...f, key: e.target.value, keyEdited: true })}
            aria-invalid={shown('key') ? true : undefined}
            aria-describedby={`${uid}-key-hint`}
            spellCheck={false}
            autoCapitalize="off"
            data-testid="new-field-key"
          />
          <p className={shown('key') ? 'cf-error' : 'muted small'} id={`${uid}-key-hint`}>
            {shown('key') ?? t('designer.keyHint')}
          </p>
        </div>
        <div className="field">
          <label htmlFor={`${uid}-type`}>{t('designer.type')}</label>
          <select
            id={`${uid}-type`}
            value={f.type}
            onChange={(e) => setF({ ...f, type: e.target.value as typeof f.type })}
            data-testid="new-field-type"
          >
            {TYPES.map((x) => (
              <option key={x} value={x}>
                {t(`designer.types.${x}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${uid}-block`}>{t('designer.block')}</label>
          <select id={`${uid}-block`} value={f.block} onChange={(e) => setF({ ...f, block: e.target.value })} data-testid="new-field-block">
            <option value="">{t('designer.loose')}</option>
            {draft.blocks.map((b) => (
              <option key={b.cid} value={b.cid}>
                {ru ? b.name_ru : b.name_en}
              </option>
            ))}
          </select>
        </div>
        {withChoices && (
          <div className="field designer-choices">
            <label htmlFor={`${uid}-choices`}>{t('designer.choices')}</label>
            <textarea
              id={`${uid}-choices`}
              rows={4}
              value={f.choices}
              onChange={(e) => setF({ ...f, choices: e.target.value })}
              aria-invalid={shown('choices') ? true : undefined}
              aria-describedby={`${uid}-choices-hint`}
              data-testid="new-field-choices"
            />
            <p className={shown('choices') ? 'cf-error' : 'muted small'} id={`${uid}-choices-hint`}>
              {shown('choices') ?? t('designer.choicesHint')}
            </p>
          </div>
        )}
      </div>
      <button type="submit" data-testid="new-field-add">
        {t('designer.add')}
      </button>
    </form>
  );
}

/**
 * The card as it will be: for a deal, the requirements area of the stage picked (where the real
 * card shows what a stage asks for, whatever the blocks), then the blocks in the card's order.
 */
function Preview({ draft, object }: { draft: Draft; object: CardObject }) {
  const { t, i18n } = useTranslation();
  const ru = i18n.language === 'ru';
  const uid = useId();
  const users = useUsers();
  const blocks: Block[] = blocksOf(draft, t('designer.loose'));
  const stages = new Map<number, string>();
  for (const f of Object.values(draft.fields)) for (const r of f.required_by) stages.set(r.stage_id, r.stage);
  const [stage, setStage] = useState<number | null>(null);
  const asked = Object.values(draft.fields).filter((f) => f.required_by.some((r) => r.stage_id === stage));
  const field = (spec: FieldSpec) => (
    <div className="cf-row" key={spec.name} data-field={spec.name}>
      <dt>{spec.label}</dt>
      <dd className="muted">{t('designer.emptyValue')}</dd>
    </div>
  );
  const segmentsOf = (f: Draft['fields'][string]) => f.required_by.find((r) => r.stage_id === stage)?.segments ?? null;
  return (
    <section className="designer-preview" aria-labelledby={`${uid}-h`} data-testid="designer-preview">
      <h2 id={`${uid}-h`}>{t('designer.preview')}</h2>
      <p className="muted small">{t('designer.previewHint')}</p>
      {object === 'deal' && stages.size > 0 && (
        <div className="field">
          <label htmlFor={`${uid}-stage`}>{t('designer.previewStage')}</label>
          <select
            id={`${uid}-stage`}
            value={stage ?? ''}
            onChange={(e) => setStage(e.target.value ? Number(e.target.value) : null)}
            data-testid="preview-stage"
          >
            <option value="">{t('designer.noStage')}</option>
            {[...stages].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </div>
      )}
      {object === 'deal' && stage !== null && (
        <section
          className="panel cf-requirements"
          aria-label={t('designer.requirements', { stage: stages.get(stage) })}
          data-testid="preview-requirements"
        >
          <h2>{t('designer.requirements', { stage: stages.get(stage) })}</h2>
          <p className="muted small">{t('designer.requirementsHint')}</p>
          {asked.length === 0 ? (
            <p className="muted">{t('designer.requirementsNone')}</p>
          ) : (
            <ul>
              {asked.map((f) => (
                <li key={f.key}>
                  {ru ? f.label_ru : f.label_en}
                  {segmentsOf(f) && (
                    <span className="muted small"> — {t('designer.segmentsOnly', { segments: segmentsOf(f)?.join(', ') })}</span>
                  )}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {blocks.every((b) => b.fields.length === 0) ? (
        <p className="muted">{t('designer.noFields')}</p>
      ) : (
        <CardBlocks blocks={blocks} values={{}} users={users.data?.items ?? []} field={field} />
      )}
    </section>
  );
}
