import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api';
import { ErrorState, Loading } from '../../components';
import { date, isoDay } from '../../format';
import { KEY, labelOf, type Preview as PreviewData, type Segment } from './data';

/** A day YYYY-MM-DD as the app writes days (дд.мм.гггг), without a zone shift. */
const dayText = (day: string) => date(`${day}T12:00:00Z`, 'UTC');

/**
 * "A deal entering «Демо» on 02.12.2026 in the SMB segment gets: …": the server computes it with the
 * entry's own code, so the dates are those a real deal would get.
 */
export function Preview({ stageId, segments, zone }: { stageId: number; segments: Segment[]; zone: string }) {
  const { t, i18n } = useTranslation();
  const [segmentId, setSegmentId] = useState<number | null>(null);
  const [day, setDay] = useState(() => isoDay(zone));
  const validDay = /^\d{4}-\d{2}-\d{2}$/.test(day);
  const q = useQuery({
    queryKey: [...KEY, 'preview', stageId, segmentId, day],
    queryFn: () =>
      api<PreviewData>(`/playbook-preview?stage_id=${stageId}${segmentId === null ? '' : `&segment_id=${segmentId}`}&entered_at=${day}`),
    enabled: validDay,
    placeholderData: (prev) => prev,
  });
  const title = (x: { title_ru: string; title_en: string }) => (i18n.language === 'en' ? x.title_en : x.title_ru);
  const ownerText = (x: PreviewData['tasks'][number] | PreviewData['anchored'][number]) =>
    t('playbooks.preview.owner', {
      name: x.owner_rule === 'user' ? (x.owner_name ?? '—') : t('playbooks.templates.ownerRules.deal_owner').toLowerCase(),
    });
  const p = q.data;
  return (
    <section className="panel pb-section pb-preview" aria-labelledby="pb-preview-title" data-testid="preview">
      <h2 id="pb-preview-title">{t('playbooks.preview.title')}</h2>
      <div className="pb-preview-controls">
        <div className="field">
          <label htmlFor="pb-preview-segment">{t('playbooks.preview.segment')}</label>
          <select
            id="pb-preview-segment"
            value={segmentId ?? ''}
            onChange={(e) => setSegmentId(e.target.value ? Number(e.target.value) : null)}
          >
            <option value="">{t('playbooks.preview.noSegment')}</option>
            {segments.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="pb-preview-date">{t('playbooks.preview.date')}</label>
          <input id="pb-preview-date" type="date" value={day} required onChange={(e) => setDay(e.target.value)} />
        </div>
      </div>
      {q.isError ? (
        <ErrorState error={q.error} retry={() => q.refetch()} />
      ) : !p ? (
        <Loading />
      ) : (
        <div aria-live="polite" data-testid="preview-result">
          <p className="pb-preview-lead">
            {p.segment
              ? t('playbooks.preview.leadSegment', { stage: p.stage.name, date: date(p.entered_at, p.timezone), segment: p.segment.name })
              : t('playbooks.preview.lead', { stage: p.stage.name, date: date(p.entered_at, p.timezone) })}
          </p>
          <h3>{t('playbooks.preview.tasks')}</h3>
          {p.tasks.length === 0 && p.anchored.length === 0 ? (
            <p className="muted">{t('playbooks.preview.noTasks')}</p>
          ) : (
            <ul className="pb-preview-tasks">
              {p.tasks.map((x) => (
                <li key={x.template_id}>
                  <strong>{title(x)}</strong> — {t(`taskType.${x.type}`).toLowerCase()},{' '}
                  <span className="pb-due">{t('playbooks.preview.dueOn', { date: dayText(x.due_day) })}</span>{' '}
                  <span className="muted">
                    ({t(`playbooks.due.${x.day_kind}`, { count: x.due_days })}; {ownerText(x)})
                  </span>
                </li>
              ))}
              {p.anchored.map((x) => (
                <li key={x.template_id} className="pb-later">
                  <strong>{title(x)}</strong> — {t(`taskType.${x.type}`).toLowerCase()},{' '}
                  {t('playbooks.preview.afterDone', {
                    name: i18n.language === 'en' ? x.anchor_title_en : x.anchor_title_ru,
                    days: t(`playbooks.due.${x.day_kind}`, { count: x.due_days }),
                  })}{' '}
                  <span className="muted">({ownerText(x)})</span>
                </li>
              ))}
            </ul>
          )}
          <h3>{t('playbooks.preview.required')}</h3>
          <p data-testid="preview-required">
            {p.requirements.length ? p.requirements.map((r) => labelOf(r, i18n.language)).join(', ') : t('playbooks.preview.noRequired')}
          </p>
        </div>
      )}
    </section>
  );
}
