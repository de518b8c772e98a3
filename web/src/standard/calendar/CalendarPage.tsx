import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type KeyboardEvent, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api, type Me } from '../../api';
import { ErrorState, Loading, Modal } from '../../components';
import { date, isoDay } from '../../format';
import './calendar.css';

type Entry = Answer<'/api/v1/calendar', 'get'>['items'][number];
type ImportResult = Answer<'/api/v1/calendar/import', 'post'>;

const pad = (n: number) => String(n).padStart(2, '0');
const keyOf = (y: number, m: number, d: number) => `${y}-${pad(m + 1)}-${pad(d)}`;
/** Day of the week of a YYYY-MM-DD, Monday 0 … Sunday 6. */
const weekdayOf = (day: string) => (new Date(`${day}T12:00:00Z`).getUTCDay() + 6) % 7;
const shift = (day: string, n: number) => new Date(Date.parse(`${day}T12:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const dayText = (day: string) => date(`${day}T12:00:00Z`, 'UTC');

/** A CSV's text: UTF-8 when its bytes are, else Windows-1251 (a production calendar saved by Excel in Russian). */
async function readCsv(file: File): Promise<string> {
  const bytes = await file.arrayBuffer();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1251').decode(bytes);
  }
}

/**
 * The workspace calendar (issue 17): a year of twelve small months, Monday first, weekends shaded,
 * holidays and moved working days marked (their note as the tooltip and in the list below). A day is
 * a button: arrows move between days, Enter opens it to set a holiday, a working day or back to the
 * weekday rule, with a note. A production-calendar CSV is checked first (how many days it would add
 * and change), then applied.
 */
export default function CalendarPage({ me, editable }: { me: Me; editable: boolean }) {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  const today = isoDay(me.workspace.timezone);
  const [year, setYear] = useState(Number(today.slice(0, 4)));
  const [focus, setFocus] = useState(today.startsWith(String(year)) ? today : `${year}-01-01`);
  const [open, setOpen] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const grid = useRef<HTMLDivElement>(null);
  const q = useQuery({ queryKey: ['calendar', year], queryFn: () => api<{ items: Entry[] }>(`/calendar?year=${year}`) });
  const lang = i18n.language === 'en' ? 'en-US' : 'ru-RU';
  const monthName = new Intl.DateTimeFormat(lang, { month: 'long', timeZone: 'UTC' });
  const longDay = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  const weekdayName = new Intl.DateTimeFormat(lang, { weekday: 'long', timeZone: 'UTC' });
  const weekdayShort = new Intl.DateTimeFormat(lang, { weekday: 'short', timeZone: 'UTC' });
  // 2024-01-01 was a Monday.
  const weekdays = Array.from({ length: 7 }, (_, i) => weekdayShort.format(new Date(Date.UTC(2024, 0, 1 + i, 12))));
  const goYear = (y: number) => {
    setYear(y);
    setFocus(today.startsWith(String(y)) ? today : `${y}-01-01`);
  };
  const byDay = new Map((q.data?.items ?? []).map((e) => [e.day, e]));
  const labelOf = (day: string) => {
    const e = byDay.get(day);
    const args = { date: longDay.format(new Date(`${day}T12:00:00Z`)), weekday: weekdayName.format(new Date(`${day}T12:00:00Z`)) };
    const base = e
      ? t(e.kind === 'holiday' ? 'playbooks.calendar.dayHoliday' : 'playbooks.calendar.dayWorkday', args)
      : t('playbooks.calendar.dayLabel', args);
    return e?.note ? `${base}: ${e.note}` : base;
  };
  const onKey = (e: KeyboardEvent<HTMLButtonElement>, day: string) => {
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    const next = shift(day, step);
    if (!next.startsWith(String(year))) return;
    setFocus(next);
    grid.current?.querySelector<HTMLButtonElement>(`[data-day="${next}"]`)?.focus();
  };
  return (
    <div className="cal" data-testid="calendar-page">
      <h2 className="cal-title">{t('playbooks.calendar.title')}</h2>
      <p className="muted cal-intro">{t('playbooks.calendar.intro')}</p>
      <div className="cal-toolbar">
        <nav className="cal-years" aria-label={t('playbooks.calendar.year')}>
          <button type="button" onClick={() => goYear(year - 1)} aria-label={t('playbooks.calendar.prevYear')}>
            ←
          </button>
          <strong className="cal-year" aria-live="polite">
            {year}
          </strong>
          <button type="button" onClick={() => goYear(year + 1)} aria-label={t('playbooks.calendar.nextYear')}>
            →
          </button>
        </nav>
        <ul className="cal-legend">
          <li>
            <span className="cal-swatch weekend" aria-hidden="true" /> {t('playbooks.calendar.legend.weekend')}
          </li>
          <li>
            <span className="cal-swatch holiday" aria-hidden="true" /> {t('playbooks.calendar.legend.holiday')}
          </li>
          <li>
            <span className="cal-swatch workday" aria-hidden="true" /> {t('playbooks.calendar.legend.workday')}
          </li>
        </ul>
      </div>
      <div aria-live="polite">{note && <p className="notice">{note}</p>}</div>
      {q.isPending ? (
        <Loading />
      ) : q.isError ? (
        <ErrorState error={q.error} retry={() => q.refetch()} />
      ) : (
        <>
          <div className="cal-year-grid" ref={grid}>
            {Array.from({ length: 12 }, (_, m) => {
              const first = keyOf(year, m, 1);
              const length = new Date(Date.UTC(year, m + 1, 0)).getUTCDate();
              const name = monthName.format(new Date(`${first}T12:00:00Z`));
              return (
                <section key={first} className="cal-month" aria-label={`${name} ${year}`}>
                  <h3>{name}</h3>
                  <div className="cal-days">
                    {weekdays.map((w, i) => (
                      <span key={w} className={`cal-wd${i >= 5 ? ' weekend' : ''}`} aria-hidden="true">
                        {w}
                      </span>
                    ))}
                    {Array.from({ length: weekdayOf(first) }, (_, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: blank cells before the first day have nothing else to key by
                      <span key={`b${i}`} aria-hidden="true" />
                    ))}
                    {Array.from({ length }, (_, i) => {
                      const day = keyOf(year, m, i + 1);
                      const e = byDay.get(day);
                      const cls = ['cal-day', weekdayOf(day) >= 5 ? 'weekend' : '', e?.kind ?? '', day === today ? 'today' : '']
                        .filter(Boolean)
                        .join(' ');
                      return (
                        <button
                          key={day}
                          type="button"
                          className={cls}
                          data-day={day}
                          tabIndex={day === focus ? 0 : -1}
                          aria-label={labelOf(day)}
                          title={e?.note ?? undefined}
                          aria-disabled={editable ? undefined : true}
                          onFocus={() => setFocus(day)}
                          onKeyDown={(ev) => onKey(ev, day)}
                          onClick={() => editable && setOpen(day)}
                        >
                          {i + 1}
                        </button>
                      );
                    })}
                  </div>
                </section>
              );
            })}
          </div>
          <section className="panel cal-list" aria-labelledby="cal-list-title">
            <h3 id="cal-list-title">{t('playbooks.calendar.list')}</h3>
            {q.data.items.length === 0 ? (
              <p className="muted">{t('playbooks.calendar.listEmpty', { year })}</p>
            ) : (
              <table className="table compact" data-testid="calendar-list">
                <thead>
                  <tr>
                    <th scope="col">{t('playbooks.calendar.columns.day')}</th>
                    <th scope="col">{t('playbooks.calendar.columns.kind')}</th>
                    <th scope="col">{t('playbooks.calendar.columns.note')}</th>
                  </tr>
                </thead>
                <tbody>
                  {q.data.items.map((e) => (
                    <tr key={e.day}>
                      <th scope="row">{dayText(e.day)}</th>
                      <td>
                        <span className={`cal-swatch ${e.kind}`} aria-hidden="true" /> {t(`playbooks.calendar.kinds.${e.kind}`)}
                      </td>
                      <td>{e.note ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
      {editable && <CalendarImport onApplied={(msg) => setNote(msg)} />}
      {open && (
        <DayDialog
          day={open}
          entry={byDay.get(open) ?? null}
          title={t('playbooks.calendar.dialogTitle', {
            date: longDay.format(new Date(`${open}T12:00:00Z`)),
            weekday: weekdayName.format(new Date(`${open}T12:00:00Z`)),
          })}
          onClose={() => setOpen(null)}
          onSaved={async (msg) => {
            setOpen(null);
            setNote(msg);
            await qc.invalidateQueries({ queryKey: ['calendar'] });
          }}
        />
      )}
    </div>
  );
}

function DayDialog({
  day,
  entry,
  title,
  onClose,
  onSaved,
}: {
  day: string;
  entry: Entry | null;
  title: string;
  onClose: () => void;
  onSaved: (note: string) => Promise<void>;
}) {
  const { t } = useTranslation();
  const [kind, setKind] = useState<'normal' | Entry['kind']>(entry?.kind ?? 'normal');
  const [text, setText] = useState(entry?.note ?? '');
  const [error, setError] = useState<string | null>(null);
  const weekend = weekdayOf(day) >= 5;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      if (kind === 'normal') {
        if (entry) await api(`/calendar/${day}`, { method: 'DELETE' });
        await onSaved(t('playbooks.calendar.setNormal', { date: dayText(day) }));
      } else {
        await api(`/calendar/${day}`, { method: 'PUT', body: { kind, note: text.trim() || null } });
        await onSaved(t(kind === 'holiday' ? 'playbooks.calendar.setHoliday' : 'playbooks.calendar.setWorkday', { date: dayText(day) }));
      }
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const radio = (value: typeof kind, label: string) => (
    <label className="check-label">
      <input type="radio" name="cal-kind" value={value} checked={kind === value} onChange={() => setKind(value)} />
      {label}
    </label>
  );
  return (
    <Modal title={title} onClose={onClose} testId="calendar-day">
      <form className="form compact" onSubmit={submit} noValidate>
        <fieldset className="cal-kinds">
          <legend>{t('playbooks.calendar.dayKind')}</legend>
          {radio(
            'normal',
            t('playbooks.calendar.normal', { kind: t(weekend ? 'playbooks.calendar.normalOff' : 'playbooks.calendar.normalWork') }),
          )}
          {radio('holiday', t('playbooks.calendar.holiday'))}
          {radio('workday', t('playbooks.calendar.workday'))}
        </fieldset>
        {kind !== 'normal' && (
          <div className="field">
            <label htmlFor="cal-note">{t('playbooks.calendar.note')}</label>
            <input id="cal-note" value={text} maxLength={300} onChange={(e) => setText(e.target.value)} aria-describedby="cal-note-hint" />
            <p id="cal-note-hint" className="muted cal-hint">
              {t('playbooks.calendar.noteHint')}
            </p>
          </div>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
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

/** Upload → the server's dry run (how many days would be added and changed, or the line at fault) → apply. */
function CalendarImport({ onApplied }: { onApplied: (note: string) => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [file, setFile] = useState<{ name: string; csv: string } | null>(null);
  const [checked, setChecked] = useState<ImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async (csv: string, dryRun: boolean) =>
    api<ImportResult>('/calendar/import', { method: 'POST', body: { csv, dry_run: dryRun } });
  const choose = async (f: File | undefined) => {
    setChecked(null);
    setError(null);
    if (!f) return setFile(null);
    const csv = await readCsv(f);
    setFile({ name: f.name, csv });
    setBusy(true);
    try {
      setChecked(await send(csv, true));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const apply = async () => {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const r = await send(file.csv, false);
      onApplied(t('playbooks.calendar.import.applied', r));
      setChecked(null);
      setFile(null);
      await qc.invalidateQueries({ queryKey: ['calendar'] });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel cal-import" aria-labelledby="cal-import-title" data-testid="calendar-import">
      <h3 id="cal-import-title">{t('playbooks.calendar.import.title')}</h3>
      <p className="muted cal-hint" id="cal-import-hint">
        {t('playbooks.calendar.import.hint')}
      </p>
      {/* The native control's button speaks the browser's language, not the app's: a label of ours stands for it. */}
      <div className="cal-file">
        <input
          id="cal-file"
          className="sr-only"
          type="file"
          accept=".csv,text/csv,text/plain"
          aria-describedby="cal-import-hint"
          onChange={(e) => void choose(e.target.files?.[0])}
        />
        <label htmlFor="cal-file" className="button-like">
          {t('playbooks.calendar.import.file')}
        </label>
        <span className="muted">{file?.name ?? t('playbooks.calendar.import.noFile')}</span>
      </div>
      <div aria-live="polite">
        {busy && <Loading />}
        {error && (
          <p className="error" role="alert" data-testid="calendar-import-error">
            {error}
          </p>
        )}
        {checked && file && (
          <div className="cal-checked">
            <p data-testid="calendar-import-check">{t('playbooks.calendar.import.checked', { name: file.name, ...checked })}</p>
            {checked.added + checked.changed > 0 ? (
              <button type="button" className="primary" onClick={() => void apply()} disabled={busy}>
                {t('playbooks.calendar.import.apply')}
              </button>
            ) : (
              <p className="muted">{t('playbooks.calendar.import.nothing')}</p>
            )}
          </div>
        )}
      </div>
    </section>
  );
}
