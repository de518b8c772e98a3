import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Block, type TimelineItem } from '../api';
import type { Lang } from '../create/dates';
import { dateTime } from '../format';
import { type Describer, describeChange } from './describe';
import './cards.css';

/** `@Имя Фамилия` (or one name) in a note's text, highlighted; the text is kept as typed. */
const MENTION = /@[A-ZА-ЯЁ][\p{L}-]*(?: [A-ZА-ЯЁ][\p{L}-]*)?/gu;
export function Mentions({ text }: { text: string }) {
  const out: ReactNode[] = [];
  let at = 0;
  for (const m of text.matchAll(MENTION)) {
    const i = m.index ?? 0;
    if (i > at) out.push(text.slice(at, i));
    out.push(
      <mark key={i} className="cf-mention">
        {m[0]}
      </mark>,
    );
    at = i + m[0].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return <>{out}</>;
}

/**
 * A card's history and timeline: the time and the author on one line, then what happened under
 * them — a move, an activity, a note, a task done, or an edit as «Сумма: 1 000 000 → 1 200 000 ₽»
 * per field (references by name), so nothing runs into the author's name.
 */
export function CardTimeline({
  items,
  tz,
  currency,
  blocks = [],
}: {
  items: TimelineItem[];
  tz: string;
  currency: string;
  blocks?: Block[];
}) {
  const { t, i18n } = useTranslation();
  const lang: Lang = i18n.language === 'ru' ? 'ru' : 'en';
  const d: Describer = { t, lang, currency, tz, blocks };
  const [all, setAll] = useState(false);
  if (items.length === 0) return <p className="muted">{t('cards.history.empty')}</p>;
  const what = (i: TimelineItem): ReactNode => {
    if (i.kind === 'activity') {
      const [type, outcome] = i.title.split(':');
      if (type === 'note')
        return (
          <>
            <strong>{t('cards.note.label')}</strong>
            {i.detail && (
              <p className="cf-tl-note">
                <Mentions text={i.detail} />
              </p>
            )}
          </>
        );
      return (
        <>
          <strong>
            {t(`activityLine.${type}.${outcome || 'none'}`, {
              defaultValue: outcome ? `${t(`activityType.${type}`)}: ${t(`outcome.${outcome}`)}` : t(`activityType.${type}`),
            })}
          </strong>
          {i.detail && <p className="cf-tl-note muted">{i.detail}</p>}
        </>
      );
    }
    if (i.kind === 'task_done') return <strong>✓ {i.title}</strong>;
    if (i.kind === 'stage')
      return (
        <>
          <strong>→ {i.title}</strong> {i.forced && <span className="badge warn">{t('deal.forced')}</span>}
          {i.detail && <p className="cf-tl-note muted">{i.detail}</p>}
        </>
      );
    if (i.kind === 'edit') {
      if (i.action === 'archive') return <strong>{t('cards.history.archived')}</strong>;
      if (i.action === 'restore') return <strong>{t('cards.history.restored')}</strong>;
      const changes = i.changes ?? i.title.split(',').map((field) => ({ field, from: undefined, to: undefined }));
      return (
        <ul className="cf-changes">
          {changes.map((c) => {
            const x = describeChange(d, c);
            return (
              <li key={c.field}>
                <strong>{x.label}:</strong>{' '}
                {i.changes ? (
                  <>
                    <span className="cf-from">{x.from}</span> → <span>{x.to}</span>
                  </>
                ) : null}
              </li>
            );
          })}
        </ul>
      );
    }
    return <strong>{i.title}</strong>;
  };
  const shown = all ? items : items.slice(0, 30);
  return (
    <>
      <ol className="cf-timeline" data-testid="card-history">
        {shown.map((i, n) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: timeline items have no id; the list is newest first and only grows at the top
          <li key={`${i.kind}-${i.at}-${n}`} className={i.kind}>
            <div className="cf-tl-head">
              <time dateTime={i.at}>{dateTime(i.at, tz)}</time>
              {i.user && <span className="cf-tl-user">{i.user}</span>}
            </div>
            <div className="cf-tl-what">{what(i)}</div>
          </li>
        ))}
      </ol>
      {!all && items.length > shown.length && (
        <button type="button" className="link" onClick={() => setAll(true)}>
          {t('common.showMore')}
        </button>
      )}
    </>
  );
}

/** The «Заметка» box: adds a note (an activity of type note) to the record's timeline. */
export function NoteBox({ link, onAdded, tz }: { link: Record<string, number>; onAdded: () => void; tz: string }) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  void tz;
  const submit = async () => {
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await api('/activities', { method: 'POST', body: { type: 'note', notes: text, at: new Date().toISOString(), ...link } });
      setText('');
      onAdded();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel cf-note" aria-label={t('cards.note.title')}>
      <h2>
        <label htmlFor="cf-note-text">{t('cards.note.title')}</label>
      </h2>
      <textarea
        id="cf-note-text"
        data-testid="note-text"
        rows={3}
        value={text}
        placeholder={t('cards.note.placeholder')}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void submit();
          }
        }}
        maxLength={20_000}
      />
      {error && (
        <p className="cf-error" role="alert">
          {error}
        </p>
      )}
      <div className="cf-note-bar">
        <span className="muted small">Ctrl+Enter</span>
        <button type="button" className="primary" disabled={busy || !text.trim()} onClick={() => void submit()}>
          {t('cards.note.add')}
        </button>
      </div>
    </section>
  );
}
