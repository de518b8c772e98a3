import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api, type Me, type PageKey, type Prefs } from '../api';
import { LanguageSwitch } from '../language-switch';

const STARTS = ['tasks', 'board', 'yesterday', 'dashboard', 'accounts'] as const;

/** Russia's zones first (west to east), then every zone the browser knows. */
const RU_ZONES = [
  'Europe/Kaliningrad',
  'Europe/Moscow',
  'Europe/Samara',
  'Asia/Yekaterinburg',
  'Asia/Omsk',
  'Asia/Novosibirsk',
  'Asia/Krasnoyarsk',
  'Asia/Irkutsk',
  'Asia/Yakutsk',
  'Asia/Vladivostok',
  'Asia/Magadan',
  'Asia/Kamchatka',
];
function zoneNames(): string[] {
  const all = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  return [...RU_ZONES, ...all.filter((z) => !RU_ZONES.includes(z))];
}

/** My own time zone: empty follows the workspace's. The server checks the name (IANA) and says what is wrong. */
function ZoneSetting({ me, prefs }: { me: Me; prefs: Prefs }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [zone, setZone] = useState(prefs.time_zone ?? '');
  const [done, setDone] = useState(false);
  const save = useMutation({
    mutationFn: () => api<Prefs>('/me/preferences', { method: 'PATCH', body: { time_zone: zone.trim() || null } }),
    onSuccess: (p) => {
      qc.setQueryData(['prefs'], p);
      // Figures and "today" are counted in the zone: ask for them again.
      qc.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'prefs' && q.queryKey[0] !== 'me' });
      setDone(true);
    },
    onError: () => setDone(false),
  });
  const error =
    save.error instanceof ApiError ? (save.error.fields.find((f) => f.field === 'time_zone')?.message ?? save.error.message) : null;
  return (
    <div className="field">
      <label htmlFor="time-zone">{t('figures.zone.label')}</label>
      <input
        id="time-zone"
        list="time-zones"
        value={zone}
        placeholder={t('figures.zone.workspace', { zone: me.workspace.timezone })}
        aria-invalid={error ? true : undefined}
        aria-describedby="time-zone-hint"
        onChange={(e) => {
          setZone(e.target.value);
          setDone(false);
        }}
      />
      <datalist id="time-zones">
        {zoneNames().map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <span id="time-zone-hint" className={error ? 'error small' : 'muted small'} role={error ? 'alert' : undefined}>
        {error ?? t('figures.zone.hint')}
      </span>
      <div>
        <button type="button" onClick={() => save.mutate()} disabled={save.isPending} data-testid="save-zone">
          {t('figures.zone.save')}
        </button>
        {done && (
          <span className="muted small" role="status">
            {' '}
            {t('common.saved')}
          </span>
        )}
      </div>
    </div>
  );
}

/** Start page and menu (order, hidden items) for me; for an admin, the defaults for everyone. */
function MenuEditor({ value, onChange }: { value: Prefs['menu']; onChange: (m: Prefs['menu']) => void }) {
  const { t } = useTranslation();
  const move = (i: number, d: -1 | 1) => {
    const next = [...value];
    const [x] = next.splice(i, 1);
    next.splice(i + d, 0, x);
    onChange(next);
  };
  return (
    <ol className="menu-editor">
      {value.map((m, i) => (
        <li key={m.key}>
          <label className="check-label">
            <input
              type="checkbox"
              checked={!m.hidden}
              onChange={(e) => onChange(value.map((x) => (x.key === m.key ? { ...x, hidden: !e.target.checked } : x)))}
            />
            {t(`nav.${m.key}`)}
          </label>
          <span className="spacer" />
          <button type="button" onClick={() => move(i, -1)} disabled={i === 0} aria-label={`${t('settings.up')}: ${t(`nav.${m.key}`)}`}>
            ↑
          </button>
          <button
            type="button"
            onClick={() => move(i, 1)}
            disabled={i === value.length - 1}
            aria-label={`${t('settings.down')}: ${t(`nav.${m.key}`)}`}
          >
            ↓
          </button>
        </li>
      ))}
    </ol>
  );
}

export function SettingsPage({ me, prefs }: { me: Me; prefs: Prefs }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [start, setStart] = useState(prefs.start_page);
  const [menu, setMenu] = useState(prefs.menu);
  const [done, setDone] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: () => api<Prefs>('/me/preferences', { method: 'PATCH', body: { start_page: start, menu } }),
    onSuccess: (p) => {
      qc.setQueryData(['prefs'], p);
      setDone(t('common.saved'));
    },
  });
  const [dStart, setDStart] = useState<Prefs['start_page']>(prefs.start_page);
  const [dMenu, setDMenu] = useState(prefs.menu);
  const [rollOut, setRollOut] = useState(false);
  const saveDefaults = useMutation({
    mutationFn: () =>
      api<{ rolled_out_to: number }>('/ui-defaults', { method: 'PUT', body: { start_page: dStart, menu: dMenu, roll_out: rollOut } }),
    onSuccess: (r) => {
      qc.invalidateQueries({ queryKey: ['prefs'] });
      setDone(rollOut ? t('settings.rolledOut', { count: r.rolled_out_to }) : t('common.saved'));
    },
  });
  return (
    <div className="page settings">
      <div className="page-head">
        <h1>{t('settings.title')}</h1>
      </div>
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      <section className="panel">
        <h2>{t('settings.profile')}</h2>
        <div className="field">
          <span className="label">{t('nav.language')}</span>
          <LanguageSwitch />
        </div>
        <div className="field">
          <label htmlFor="start-page">{t('settings.startPage')}</label>
          <select id="start-page" value={start} onChange={(e) => setStart(e.target.value as Prefs['start_page'])}>
            {STARTS.map((s) => (
              <option key={s} value={s}>
                {t(`nav.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <ZoneSetting me={me} prefs={prefs} />
        <h3>{t('settings.menu')}</h3>
        <MenuEditor value={menu} onChange={setMenu} />
        <button type="button" className="primary" onClick={() => save.mutate()} disabled={save.isPending}>
          {save.isPending ? t('common.saving') : t('common.save')}
        </button>
        {save.isError && <p className="error">{(save.error as Error).message}</p>}
      </section>
      {me.user.role === 'admin' && (
        <section className="panel">
          <h2>{t('settings.defaults')}</h2>
          <div className="field">
            <label htmlFor="default-start">{t('settings.startPage')}</label>
            <select id="default-start" value={dStart} onChange={(e) => setDStart(e.target.value as Prefs['start_page'])}>
              {STARTS.map((s) => (
                <option key={s} value={s}>
                  {t(`nav.${s}`)}
                </option>
              ))}
            </select>
          </div>
          <MenuEditor value={dMenu as { key: PageKey; hidden: boolean }[]} onChange={setDMenu} />
          <label className="check-label">
            <input type="checkbox" checked={rollOut} onChange={(e) => setRollOut(e.target.checked)} /> {t('settings.rollOut')}
          </label>
          <button type="button" onClick={() => saveDefaults.mutate()} disabled={saveDefaults.isPending}>
            {t('settings.saveDefaults')}
          </button>
          {saveDefaults.isError && <p className="error">{(saveDefaults.error as Error).message}</p>}
        </section>
      )}
    </div>
  );
}
