import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type RequestBody } from '../../api';
import { Empty } from '../../components';
import { fieldErrors, isConflict, KEY, type Segment } from './data';

const KINDS = ['typical', 'atypical'] as const;

/** The workspace's segments: renamed in place (on leaving the field), kind typical or atypical, a new one added. */
export function Segments({ segments, editable, say }: { segments: Segment[]; editable: boolean; say: (note: string) => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<Segment['kind']>('typical');
  const [addErrors, setAddErrors] = useState<Record<string, string>>({});
  const patch = async (s: Segment, body: Record<string, unknown>) => {
    setError(null);
    try {
      await api(`/segments/${s.id}`, { method: 'PATCH', body: { ...body, version: s.version } });
      say(t('playbooks.saved'));
    } catch (e) {
      setError(isConflict(e) ? t('playbooks.conflict') : Object.values(fieldErrors(e))[0]);
    }
    await qc.invalidateQueries({ queryKey: KEY });
  };
  const add = async (e: FormEvent) => {
    e.preventDefault();
    setAddErrors({});
    try {
      await api('/segments', {
        method: 'POST',
        body: {
          name,
          kind,
          position: segments.length ? Math.max(...segments.map((s) => s.position)) + 1 : 0,
        } satisfies RequestBody<'/api/v1/segments', 'post'>,
      });
      say(t('playbooks.segments.added', { name: name.trim() }));
      setName('');
      setKind('typical');
    } catch (err) {
      setAddErrors(fieldErrors(err));
    }
    await qc.invalidateQueries({ queryKey: KEY });
  };
  return (
    <section className="panel pb-section" aria-labelledby="pb-seg-title">
      <h2 id="pb-seg-title">{t('playbooks.segments.title')}</h2>
      <p className="muted pb-hint">{t('playbooks.segments.hint')}</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {segments.length === 0 ? (
        <Empty>{t('playbooks.segments.empty')}</Empty>
      ) : (
        <ul className="pb-list" data-testid="segments">
          {segments.map((s) =>
            editable ? (
              <li key={`${s.id}-${s.version}`} className="pb-segment">
                <input
                  aria-label={t('playbooks.segments.nameOf', { name: s.name })}
                  defaultValue={s.name}
                  onBlur={(e) => {
                    const v = e.target.value.trim();
                    if (v && v !== s.name) void patch(s, { name: v });
                  }}
                  onKeyDown={(e) => e.key === 'Enter' && e.currentTarget.blur()}
                />
                <select
                  aria-label={t('playbooks.segments.kindOf', { name: s.name })}
                  value={s.kind}
                  onChange={(e) => void patch(s, { kind: e.target.value })}
                >
                  {KINDS.map((k) => (
                    <option key={k} value={k}>
                      {t(`playbooks.segments.kinds.${k}`)}
                    </option>
                  ))}
                </select>
              </li>
            ) : (
              <li key={s.id}>
                <strong>{s.name}</strong> <span className="muted">{t(`playbooks.segments.kinds.${s.kind}`)}</span>
              </li>
            ),
          )}
        </ul>
      )}
      {editable && (
        <form className="pb-add pb-add-row" onSubmit={add} noValidate>
          <div className="field">
            <label htmlFor="pb-seg-name">{t('playbooks.segments.newName')}</label>
            <input
              id="pb-seg-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              aria-invalid={addErrors.name ? true : undefined}
              aria-describedby={addErrors.name ? 'pb-seg-name-error' : undefined}
            />
            {addErrors.name && (
              <p id="pb-seg-name-error" className="field-error">
                {addErrors.name}
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor="pb-seg-kind">{t('playbooks.segments.kind')}</label>
            <select id="pb-seg-kind" value={kind} onChange={(e) => setKind(e.target.value as Segment['kind'])}>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`playbooks.segments.kinds.${k}`)}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="primary">
            {t('playbooks.segments.add')}
          </button>
          {addErrors[''] && (
            <p className="error" role="alert">
              {addErrors['']}
            </p>
          )}
        </form>
      )}
    </section>
  );
}
