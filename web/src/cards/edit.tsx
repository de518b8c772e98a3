import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { parseAmount } from '../../../src/platform/money';
import { ApiError, api, type Block } from '../api';
import { isoDay, type Lang, parseDay } from '../create/dates';
import { type Choice, RefPicker } from '../create/picker';
import { minorDigits, moneyInputValue } from '../format';
import { type ChangeLike, type Describer, describeChange, genderOf, showDay, showValue } from './describe';
import './cards.css';

/**
 * Editing a record in place on its card: every field shows its value and, on a click, Enter or
 * its "edit" button, an input; Enter saves, Escape cancels. Dates are typed as дд.мм.гггг, money
 * as 1 234 567,89 (parseAmount, the server's own rule), shown back as 1 234 567,89 ₽. The PATCH
 * sends the version read; a stale one (409) shows who changed what since (ConflictBanner), and the
 * value typed stays in the field for applying again after the card is reloaded.
 */
export type FieldKind = 'text' | 'longtext' | 'number' | 'money' | 'date' | 'choice' | 'multi' | 'user' | 'link' | 'bool' | 'ref';

export interface FieldSpec {
  /** The API field: `amount_minor`, `custom.budget`. */
  name: string;
  label: string;
  kind: FieldKind;
  value: unknown;
  /** What is shown instead of the plain value (a link to the company). */
  display?: ReactNode;
  choices?: { value: string; label: string }[];
  /** A reference's suggestions and its current name. */
  load?: (q: string, signal: AbortSignal) => Promise<Choice[]>;
  refName?: string | null;
  required?: boolean;
  readOnly?: boolean;
}

/** A value typed that a stale edit did not save: shown again in its field after the reload. */
export interface Pending {
  field: string;
  typed: string;
}

export interface Conflict {
  field: string;
  typed: string;
  changes: (ChangeLike & { user?: string | null; at?: string })[];
}

/** The value an input starts with. */
function initialText(spec: FieldSpec, currency: string, lang: Lang): string {
  const v = spec.value;
  if (v === null || v === undefined) return '';
  if (spec.kind === 'money' && typeof v === 'number') return moneyInputValue(v, currency);
  if (spec.kind === 'date' && typeof v === 'string') return showDay(v, lang);
  if (spec.kind === 'number' && typeof v === 'number') return String(v).replace('.', lang === 'ru' ? ',' : '.');
  if (spec.kind === 'bool') return v ? 'true' : 'false';
  if (spec.kind === 'multi') return '';
  return String(v);
}

/** Whether a text is an http(s) address a card may open (the server's own rule: isWebLink). */
export function isWebLink(v: string): boolean {
  if (v.length > 2000 || /\s/.test(v)) return false;
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
  } catch {
    return false;
  }
}

class FieldProblem extends Error {}

/** What was typed → the API value, or a FieldProblem with a message for the person. */
function parseText(spec: FieldSpec, text: string, currency: string, lang: Lang, t: (k: string, o?: object) => string): unknown {
  const s = text.trim();
  if (s === '') {
    if (spec.required) throw new FieldProblem(t('cards.required'));
    return spec.kind === 'bool' ? false : null;
  }
  switch (spec.kind) {
    case 'money': {
      const p = parseAmount(s, currency, lang);
      if (p.ok) return p.minor;
      throw new FieldProblem(
        p.problem === 'too_large'
          ? t('cards.amountLarge')
          : p.problem === 'too_many_decimals'
            ? minorDigits(currency) === 0
              ? t('cards.amountWhole')
              : t('cards.amountDecimals', { count: minorDigits(currency) })
            : t('cards.badAmount'),
      );
    }
    case 'number': {
      const n = Number(s.replace(/[\s\u00a0]/g, '').replace(',', '.'));
      if (!Number.isFinite(n)) throw new FieldProblem(t('cards.badNumber'));
      return n;
    }
    case 'date': {
      const d = parseDay(s, lang);
      if (!d) throw new FieldProblem(t('cards.badDate'));
      return isoDay(d);
    }
    case 'bool':
      return s === 'true';
    case 'user':
      return Number(s);
    case 'link':
      if (!isWebLink(s)) throw new FieldProblem(t('cards.badLink'));
      return s;
    default:
      return s;
  }
}

/** The body of a PATCH setting one field (custom fields under `custom`). */
export function patchOf(field: string, raw: unknown): Record<string, unknown> {
  // A select holds an id as text.
  const value = field.endsWith('_id') && typeof raw === 'string' ? (raw === '' ? null : Number(raw)) : raw;
  return field.startsWith('custom.') ? { custom: { [field.slice(7)]: value } } : { [field]: value };
}

/** The message of a refused save for the field: the server's words for it, else its message. */
function messageOf(e: unknown, field: string): string {
  if (e instanceof ApiError) {
    const name = field.startsWith('custom.') ? field : field;
    const f = e.fields.find((x) => x.field === name || x.field === field.slice(7) || x.field.endsWith(`.${field}`));
    return f ? f.message : e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

export class ConflictSignal extends Error {}

/**
 * One field of a card: its value, and in place its editor. `save` sends the API value; it throws
 * ConflictSignal on a stale version (the page shows the banner and keeps the value typed).
 */
export function EditableField({
  spec,
  currency,
  save,
  pending,
  onPendingUsed,
}: {
  spec: FieldSpec;
  currency: string;
  save: (field: string, value: unknown, typed: string) => Promise<void>;
  pending?: Pending | null;
  onPendingUsed?: () => void;
}) {
  const { t, i18n } = useTranslation();
  const lang: Lang = i18n.language === 'ru' ? 'ru' : 'en';
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const uid = useId();
  const input = useRef<HTMLInputElement & HTMLSelectElement & HTMLTextAreaElement>(null);
  const openButton = useRef<HTMLButtonElement>(null);
  const mine = pending && pending.field === spec.name ? pending : null;
  // The value a stale edit did not save comes back into the field after the reload.
  useEffect(() => {
    if (!mine) return;
    setText(mine.typed);
    setEditing(true);
    onPendingUsed?.();
  }, [mine, onPendingUsed]);
  useEffect(() => {
    if (editing) input.current?.focus();
  }, [editing]);
  const open = () => {
    if (spec.readOnly) return;
    setText(initialText(spec, currency, lang));
    setPicked(Array.isArray(spec.value) ? (spec.value as string[]) : []);
    setError(null);
    setEditing(true);
  };
  const close = () => {
    setEditing(false);
    setError(null);
    setTimeout(() => openButton.current?.focus(), 0);
  };
  const submit = async (value?: unknown) => {
    setError(null);
    let v: unknown;
    try {
      v =
        value !== undefined
          ? value
          : spec.kind === 'multi'
            ? spec.required && picked.length === 0
              ? (() => {
                  throw new FieldProblem(t('cards.required'));
                })()
              : picked.length === 0
                ? null
                : picked
            : parseText(spec, text, currency, lang, t as unknown as (k: string, o?: object) => string);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      return;
    }
    setBusy(true);
    try {
      await save(spec.name, v, value !== undefined ? '' : text);
      setEditing(false);
    } catch (e) {
      if (!(e instanceof ConflictSignal)) setError(messageOf(e, spec.name));
    } finally {
      setBusy(false);
    }
  };
  const errorId = `${uid}-error`;
  const shown =
    spec.display ??
    (spec.kind === 'ref'
      ? (spec.refName ?? t('cards.empty'))
      : spec.kind === 'multi'
        ? multiShown(spec, t('cards.empty'))
        : spec.kind === 'link'
          ? linkShown(spec.value, t('cards.empty'), t('cards.opensNewTab'))
          : spec.kind === 'choice' || spec.kind === 'user'
            ? (spec.choices?.find((c) => c.value === spec.value)?.label ??
              showValue(describerStub(t, lang, currency), spec.name, spec.value))
            : spec.kind === 'money'
              ? showValue(describerStub(t, lang, currency), 'amount_minor', spec.value)
              : spec.kind === 'date'
                ? typeof spec.value === 'string'
                  ? showDay(spec.value, lang)
                  : t('cards.empty')
                : showValue(describerStub(t, lang, currency), spec.name, spec.value));
  const controlProps = {
    id: `${uid}-input`,
    'aria-label': spec.label,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? errorId : undefined,
    disabled: busy,
    'data-testid': `edit-${spec.name}`,
  } as const;
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
    } else if (e.key === 'Enter' && spec.kind !== 'longtext' && spec.kind !== 'ref') {
      e.preventDefault();
      void submit();
    } else if (e.key === 'Enter' && spec.kind === 'longtext' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void submit();
    }
  };
  return (
    <div className={`cf-row${editing ? ' editing' : ''}`} data-field={spec.name}>
      <dt>{spec.label}</dt>
      <dd>
        {editing ? (
          // biome-ignore lint/a11y/noStaticElementInteractions: Enter and Escape of the control inside
          <div className="cf-editor" onKeyDown={onKeyDown}>
            {spec.kind === 'multi' ? (
              <fieldset className="cf-chips" aria-describedby={error ? errorId : undefined} data-testid={`edit-${spec.name}`}>
                <legend className="sr-only">{spec.label}</legend>
                {(spec.choices ?? []).map((c, i) => (
                  <label key={c.value} className={`cf-chip${picked.includes(c.value) ? ' on' : ''}`}>
                    <input
                      type="checkbox"
                      ref={i === 0 ? input : undefined}
                      checked={picked.includes(c.value)}
                      disabled={busy}
                      onChange={(e) =>
                        setPicked((p) =>
                          e.target.checked
                            ? (spec.choices ?? []).map((x) => x.value).filter((v) => v === c.value || p.includes(v))
                            : p.filter((v) => v !== c.value),
                        )
                      }
                    />
                    {c.label}
                  </label>
                ))}
              </fieldset>
            ) : spec.kind === 'choice' || spec.kind === 'bool' || spec.kind === 'user' ? (
              <select {...controlProps} ref={input} value={text} onChange={(e) => setText(e.target.value)}>
                {!spec.required && <option value="">{t('cards.empty')}</option>}
                {(spec.kind === 'bool'
                  ? [
                      { value: 'true', label: t('cards.yes') },
                      { value: 'false', label: t('cards.no') },
                    ]
                  : (spec.choices ?? [])
                ).map((c) => (
                  <option key={c.value} value={c.value}>
                    {c.label}
                  </option>
                ))}
              </select>
            ) : spec.kind === 'ref' ? (
              <div className="cf-ref">
                <RefPicker
                  name={`${uid}-${spec.name}`}
                  label={spec.label}
                  value={typeof spec.value === 'number' ? { id: spec.value, title: spec.refName ?? `#${spec.value}` } : null}
                  onChange={(c) => void submit(c ? c.id : null)}
                  load={spec.load ?? (async () => [])}
                />
              </div>
            ) : spec.kind === 'longtext' ? (
              <textarea {...controlProps} ref={input} value={text} rows={3} onChange={(e) => setText(e.target.value)} />
            ) : (
              <input
                {...controlProps}
                ref={input}
                type={spec.kind === 'link' ? 'url' : 'text'}
                inputMode={spec.kind === 'money' || spec.kind === 'number' ? 'decimal' : undefined}
                placeholder={
                  spec.kind === 'date' ? (lang === 'ru' ? 'дд.мм.гггг' : 'mm/dd/yyyy') : spec.kind === 'link' ? 'https://' : undefined
                }
                value={text}
                onChange={(e) => setText(e.target.value)}
              />
            )}
            <span className="cf-actions">
              {spec.kind !== 'ref' && (
                <button type="button" className="primary small" onClick={() => void submit()} disabled={busy}>
                  {t('cards.save')}
                </button>
              )}
              <button type="button" className="small" onClick={close}>
                {t('cards.cancel')}
              </button>
            </span>
            {error ? (
              <p className="cf-error" id={errorId} role="alert">
                {error}
              </p>
            ) : (
              <p className="cf-hint muted small">{t('cards.hint')}</p>
            )}
          </div>
        ) : (
          <span className="cf-value">
            {/* A click on the value opens its editor too (but a link in it still opens its record). */}
            {/* biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/noStaticElementInteractions: the keyboard's way is the Изменить button beside it */}
            <span
              className={`cf-shown${spec.readOnly ? '' : ' clickable'}`}
              data-testid={`value-${spec.name}`}
              onClick={(e) => {
                if (!(e.target instanceof Element && e.target.closest('a'))) open();
              }}
            >
              {shown}
            </span>
            {!spec.readOnly && (
              <button
                type="button"
                ref={openButton}
                className="cf-edit link"
                onClick={open}
                aria-label={t('cards.editField', { field: spec.label })}
              >
                {t('cards.edit')}
              </button>
            )}
          </span>
        )}
      </dd>
    </div>
  );
}

/** A multi-choice's values as chips, in the field's order of choices. */
function multiShown(spec: FieldSpec, none: string): ReactNode {
  const list = Array.isArray(spec.value) ? (spec.value as string[]) : [];
  if (list.length === 0) return none;
  return (
    <span className="cf-chip-list">
      {(spec.choices ?? [])
        .filter((c) => list.includes(c.value))
        .map((c) => (
          <span key={c.value} className="cf-chip on">
            {c.label}
          </span>
        ))}
    </span>
  );
}

/** A link opens in a new tab, without handing the opened page this one (rel=noopener). */
function linkShown(v: unknown, none: string, newTab: string): ReactNode {
  if (typeof v !== 'string' || v === '') return none;
  const text = v.replace(/^https?:\/\//, '').replace(/\/$/, '');
  return (
    <a href={v} target="_blank" rel="noopener noreferrer" title={newTab}>
      {text}
    </a>
  );
}

const describerStub = (t: Describer['t'], lang: Lang, currency: string): Describer => ({ t, lang, currency, tz: 'UTC' });

/**
 * The PATCH of a card's record with the version read, and what a stale one leaves behind: the
 * conflict (who changed what) and, after the reload, the value to apply again.
 */
export function useCardEditor(path: string, version: number, onSaved: () => void) {
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [kept, setKept] = useState<string | null>(null);
  const save = async (field: string, value: unknown, typed: string) => {
    try {
      await api(path, { method: 'PATCH', body: { version, ...patchOf(field, value) } });
      setConflict(null);
      setKept(null);
      onSaved();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.code === 'VERSION_CONFLICT') {
        setConflict({ field, typed, changes: (e.body.changes as Conflict['changes']) ?? [] });
        throw new ConflictSignal();
      }
      throw e;
    }
  };
  return {
    save,
    conflict,
    pending,
    kept,
    clearPending: () => setPending(null),
    /** After «Обновить карточку»: the card read again, the typed value back in its field. */
    reloaded: (c: Conflict) => {
      setConflict(null);
      if (c.typed) {
        setPending({ field: c.field, typed: c.typed });
        setKept(c.typed);
      }
    },
  };
}

/** «Пока вы редактировали, Анна Смирнова изменила: Сумма 1 000 000 → 1 200 000 ₽» and «Обновить карточку». */
export function ConflictBanner({
  conflict,
  kept,
  currency,
  tz,
  blocks,
  onReload,
}: {
  conflict: Conflict | null;
  kept: string | null;
  currency: string;
  tz: string;
  blocks?: Block[];
  onReload: (c: Conflict) => Promise<void> | void;
}) {
  const { t, i18n } = useTranslation();
  const lang: Lang = i18n.language === 'ru' ? 'ru' : 'en';
  if (!conflict) {
    if (!kept) return null;
    return (
      <p className="cf-kept" role="status" data-testid="conflict-kept">
        {t('cards.conflict.yours', { value: kept })}
      </p>
    );
  }
  const d: Describer = { t, lang, currency, tz, blocks };
  const byUser = new Map<string, string[]>();
  for (const c of conflict.changes) {
    const who = c.user ?? t('cards.conflict.someone');
    const x = describeChange(d, c);
    byUser.set(who, [...(byUser.get(who) ?? []), `${x.label} ${x.from} → ${x.to}`]);
  }
  return (
    <div className="cf-conflict" role="alert" data-testid="conflict">
      {byUser.size === 0 ? (
        <p>{t('cards.conflict.unknown')}</p>
      ) : (
        [...byUser].map(([user, list]) => (
          <p key={user}>{t('cards.conflict.title', { user, changes: list.join('; '), context: genderOf(user) })}</p>
        ))
      )}
      <button type="button" className="primary" onClick={() => void onReload(conflict)}>
        {t('cards.conflict.reload')}
      </button>
    </div>
  );
}
