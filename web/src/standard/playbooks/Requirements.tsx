import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type RequestBody } from '../../api';
import { Empty, ErrorState, Loading } from '../../components';
import { type DealField, fieldErrors, isConflict, KEY, labelOf, type Requirement, type Segment, useStageRequirements } from './data';

/**
 * The fields a stage requires: each with the segments it is for (all, or the chosen ones), moved
 * up or down with buttons, removed; a new one added from the standard and the custom deal fields.
 */
export function Requirements({
  stageId,
  fields,
  segments,
  editable,
  say,
}: {
  stageId: number;
  fields: DealField[];
  segments: Segment[];
  editable: boolean;
  say: (note: string) => void;
}) {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  const q = useStageRequirements(stageId);
  const [error, setError] = useState<string | null>(null);
  const label = (field: string) => {
    const f = fields.find((x) => x.field === field);
    return f ? labelOf(f, i18n.language) : field;
  };
  const segmentNames = (ids: number[] | null) =>
    ids === null
      ? t('playbooks.requirements.allSegments')
      : t('playbooks.requirements.onlyFor', {
          names: ids.map((id) => segments.find((s) => s.id === id)?.name ?? `#${id}`).join(', '),
        });
  const refresh = () => qc.invalidateQueries({ queryKey: KEY });
  const run = async (fn: () => Promise<unknown>, note: string) => {
    setError(null);
    try {
      await fn();
      say(note);
    } catch (e) {
      setError(isConflict(e) ? t('playbooks.conflict') : (fieldErrors(e)[''] ?? Object.values(fieldErrors(e))[0]));
    }
    await refresh();
  };
  if (q.isPending) return <Loading />;
  if (q.isError) return <ErrorState error={q.error} retry={() => q.refetch()} />;
  const items = q.data.items;
  // Swapping two neighbours' positions (renumbered from the list's order, so equal positions part too).
  const move = (i: number, j: number) =>
    run(async () => {
      const order = items.map((r) => r.id);
      [order[i], order[j]] = [order[j], order[i]];
      for (const [pos, id] of order.entries()) {
        const r = items.find((x) => x.id === id) as Requirement;
        if (r.position !== pos) await api(`/stage-requirements/${id}`, { method: 'PATCH', body: { version: r.version, position: pos } });
      }
    }, t('playbooks.saved'));
  return (
    <section className="panel pb-section" aria-labelledby="pb-req-title">
      <h2 id="pb-req-title">{t('playbooks.requirements.title')}</h2>
      <p className="muted pb-hint">{t('playbooks.requirements.hint')}</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {items.length === 0 ? (
        <Empty>{t('playbooks.requirements.empty')}</Empty>
      ) : (
        <ol className="pb-list" data-testid="requirements">
          {items.map((r, i) => (
            <li key={r.id} data-testid={`requirement-${r.field}`}>
              <span className="pb-item-main">
                <strong>{label(r.field)}</strong> <span className="muted">{segmentNames(r.segment_ids)}</span>
              </span>
              {editable && (
                <span className="pb-item-actions">
                  <button
                    type="button"
                    className="ghost"
                    disabled={i === 0}
                    aria-label={t('playbooks.up', { name: label(r.field) })}
                    onClick={() => void move(i, i - 1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    className="ghost"
                    disabled={i === items.length - 1}
                    aria-label={t('playbooks.down', { name: label(r.field) })}
                    onClick={() => void move(i, i + 1)}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    aria-label={t('playbooks.requirements.remove', { name: label(r.field) })}
                    onClick={() =>
                      void run(
                        () => api(`/stage-requirements/${r.id}?version=${r.version}`, { method: 'DELETE' }),
                        t('playbooks.requirements.removed', { name: label(r.field) }),
                      )
                    }
                  >
                    ✕
                  </button>
                </span>
              )}
            </li>
          ))}
        </ol>
      )}
      {editable && (
        <AddRequirement
          stageId={stageId}
          taken={items.map((r) => r.field)}
          fields={fields}
          segments={segments}
          position={items.length ? Math.max(...items.map((r) => r.position)) + 1 : 0}
          onAdded={async (field) => {
            say(t('playbooks.requirements.added', { name: label(field) }));
            await refresh();
          }}
        />
      )}
    </section>
  );
}

function AddRequirement({
  stageId,
  taken,
  fields,
  segments,
  position,
  onAdded,
}: {
  stageId: number;
  taken: string[];
  fields: DealField[];
  segments: Segment[];
  position: number;
  onAdded: (field: string) => Promise<void>;
}) {
  const { t, i18n } = useTranslation();
  const [field, setField] = useState('');
  const [scope, setScope] = useState<'all' | 'chosen'>('all');
  const [chosen, setChosen] = useState<number[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    if (scope === 'chosen' && chosen.length === 0) {
      setErrors({ segment_ids: t('playbooks.requirements.pickSegment') });
      return;
    }
    try {
      await api('/stage-requirements', {
        method: 'POST',
        body: {
          stage_id: stageId,
          field,
          segment_ids: scope === 'all' ? null : chosen,
          position,
        } satisfies RequestBody<'/api/v1/stage-requirements', 'post'>,
      });
      setField('');
      setChosen([]);
      setScope('all');
      await onAdded(field);
    } catch (err) {
      setErrors(fieldErrors(err));
    }
  };
  const free = fields.filter((f) => !taken.includes(f.field));
  const option = (f: DealField) => (
    <option key={f.field} value={f.field}>
      {labelOf(f, i18n.language)}
    </option>
  );
  const err = (key: string) =>
    errors[key] && (
      <p id={`pb-req-${key}-error`} className="field-error">
        {errors[key]}
      </p>
    );
  return (
    <form className="pb-add" onSubmit={submit} noValidate data-testid="add-requirement">
      <div className="field">
        <label htmlFor="pb-req-field">{t('playbooks.requirements.field')}</label>
        <select
          id="pb-req-field"
          value={field}
          required
          onChange={(e) => setField(e.target.value)}
          aria-invalid={errors.field ? true : undefined}
          aria-describedby={errors.field ? 'pb-req-field-error' : undefined}
        >
          <option value="">{t('playbooks.requirements.chooseField')}</option>
          <optgroup label={t('playbooks.requirements.standard')}>{free.filter((f) => !f.custom).map(option)}</optgroup>
          {free.some((f) => f.custom) && (
            <optgroup label={t('playbooks.requirements.custom')}>{free.filter((f) => f.custom).map(option)}</optgroup>
          )}
        </select>
        {err('field')}
      </div>
      <fieldset className="field pb-segments" aria-describedby={errors.segment_ids ? 'pb-req-segment_ids-error' : undefined}>
        <legend>{t('playbooks.requirements.segments')}</legend>
        <label className="check-label">
          <input type="radio" name="pb-req-scope" checked={scope === 'all'} onChange={() => setScope('all')} />
          {t('playbooks.requirements.allSegments')}
        </label>
        <label className="check-label">
          <input
            type="radio"
            name="pb-req-scope"
            checked={scope === 'chosen'}
            onChange={() => setScope('chosen')}
            disabled={segments.length === 0}
          />
          {t('playbooks.requirements.chosenSegments')}
        </label>
        {scope === 'chosen' && (
          <div className="pb-chips">
            {segments.map((s) => (
              <label key={s.id} className="check-label">
                <input
                  type="checkbox"
                  checked={chosen.includes(s.id)}
                  onChange={(e) => setChosen((c) => (e.target.checked ? [...c, s.id] : c.filter((x) => x !== s.id)))}
                />
                {s.name}
              </label>
            ))}
          </div>
        )}
        {err('segment_ids')}
      </fieldset>
      {err('stage_id')}
      {errors[''] && (
        <p className="error" role="alert">
          {errors['']}
        </p>
      )}
      <button type="submit" className="primary" disabled={!field}>
        {t('playbooks.requirements.add')}
      </button>
    </form>
  );
}
