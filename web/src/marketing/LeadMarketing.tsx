import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { type Answer, ApiError, api } from '../api';
import { useNamed } from '../cards/specs';
import { localInputInstant } from '../create/dates';
import { dateTime } from '../format';
import './marketing.css';

type Fit = Answer<'/api/v1/leads/{id}/fit', 'get'>;
type Journey = Answer<'/api/v1/leads/{id}/journey', 'get'>;
const KINDS = ['email', 'webinar', 'event', 'ad_click', 'call', 'referral', 'visit', 'form', 'other'] as const;

/** A rule in words: «Отрасль: Производство, ИТ» or «Сотрудники: 100–1000». */
function ruleText(r: Fit['matched'][number], t: (k: string) => string): string {
  const field = t(`mkt.icp.fields.${r.field}`);
  if (r.in) return `${field}: ${r.in.join(', ')}`;
  return `${field}: ${r.min ?? '…'}–${r.max ?? '…'}`;
}

/** The lead card's ICP fit: the score, the threshold, and the rules of the version that scored it. */
export function LeadFitPanel({ leadId }: { leadId: number }) {
  const { t } = useTranslation();
  const fit = useQuery({ queryKey: ['lead-fit', leadId], queryFn: () => api<Fit>(`/leads/${leadId}/fit`) });
  if (!fit.data) return null;
  const f = fit.data;
  return (
    <section className="panel" aria-labelledby="lead-fit-h" data-testid="lead-fit">
      <h2 id="lead-fit-h">{t('mkt.lead.fit')}</h2>
      {f.version === null ? (
        <p className="muted">{t('mkt.lead.noRules')}</p>
      ) : (
        <>
          <p>
            <strong data-testid="lead-fit-score">{t('mkt.lead.score', { score: f.fit_score ?? '—', threshold: f.threshold })}</strong>
            {' · '}
            <span className={f.fits ? 'good' : 'muted'}>{f.fits ? t('mkt.lead.fits') : t('mkt.lead.notFits')}</span>
          </p>
          <p className="muted small">{t('mkt.lead.matched', { version: f.version })}</p>
          {f.matched.length === 0 ? (
            <p className="muted">{t('mkt.lead.noneMatched')}</p>
          ) : (
            <ul data-testid="lead-fit-rules">
              {f.matched.map((r) => (
                <li key={r.position}>
                  {ruleText(r, t)} — {r.points > 0 ? `+${r.points}` : r.points}
                </li>
              ))}
            </ul>
          )}
          {f.current_version !== null && f.current_version !== f.version && (
            <p className="muted small">{t('mkt.lead.stale', { version: f.version, current: f.current_version })}</p>
          )}
        </>
      )}
    </section>
  );
}

/**
 * The customer journey of a lead (or of a deal, all its leads): the lead's creation and its
 * touches by channel, then the deal's stages; a touch is added from here.
 */
export function JourneyPanel({ leadId, dealId, tz, canAdd }: { leadId?: number; dealId?: number; tz: string; canAdd: boolean }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const path = leadId !== undefined ? `/leads/${leadId}/journey` : `/deals/${dealId}/journey`;
  const journey = useQuery({ queryKey: ['journey', path], queryFn: () => api<Journey>(path) });
  const channels = useNamed('channels');
  const [open, setOpen] = useState(false);
  const [channel, setChannel] = useState('');
  const [kind, setKind] = useState<string>('email');
  const [at, setAt] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const add = useMutation({
    mutationFn: () =>
      api('/touches', {
        method: 'POST',
        body: { lead_id: leadId, channel: Number(channel), at: localInputInstant(at, tz), kind, note: note.trim() || null },
      }),
    onSuccess: () => {
      setError('');
      setNote('');
      setStatus(t('mkt.lead.touchSaved'));
      void qc.invalidateQueries({ queryKey: ['journey'] });
    },
    onError: (e) => setError(e instanceof ApiError ? (e.fields[0]?.message ?? e.message) : String(e)),
  });
  const steps = journey.data?.steps ?? [];
  return (
    <section className="panel" aria-labelledby={`journey-h-${path}`} data-testid="journey">
      <h2 id={`journey-h-${path}`}>{t('mkt.lead.journey')}</h2>
      {steps.length === 0 ? (
        <p className="muted">{t('mkt.lead.journeyEmpty')}</p>
      ) : (
        <ol className="journey">
          {steps.map((s, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: steps are in time order and have no id of their own
            <li key={i} className={s.type} data-testid={`journey-${s.type}`}>
              <span className="when">{dateTime(s.at, tz)}</span>
              <span>
                {s.type === 'touch' && (
                  <>
                    <strong>{s.channel}</strong>
                    {s.kind && ` · ${t(`mkt.lead.touchKinds.${s.kind}`)}`}
                    {s.note && ` — ${s.note}`}
                  </>
                )}
                {s.type === 'lead' && (
                  <>
                    {t('mkt.lead.created')}
                    {s.channel && ` · ${s.channel}`}
                    {leadId === undefined && (
                      <>
                        {' · '}
                        <Link href={`/leads/${s.lead_id}`}>{s.title}</Link>
                      </>
                    )}
                  </>
                )}
                {s.type === 'stage' && t('mkt.lead.stage', { stage: s.stage })}
              </span>
            </li>
          ))}
        </ol>
      )}
      {canAdd && leadId !== undefined && !open && (
        <button type="button" onClick={() => setOpen(true)} data-testid="touch-add">
          {t('mkt.lead.addTouch')}
        </button>
      )}
      {canAdd && leadId !== undefined && open && (
        <form
          className="touch-form"
          onSubmit={(e) => {
            e.preventDefault();
            add.mutate();
          }}
        >
          <label>
            {t('mkt.lead.touchChannel')}
            <select value={channel} onChange={(e) => setChannel(e.target.value)} required data-testid="touch-channel">
              <option value="" />
              {(channels.data?.items ?? []).map((c) => (
                <option key={c.id} value={String(c.id)}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('mkt.lead.touchKind')}
            <select value={kind} onChange={(e) => setKind(e.target.value)} data-testid="touch-kind">
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`mkt.lead.touchKinds.${k}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('mkt.lead.touchAt')}
            <input type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} required data-testid="touch-at" />
          </label>
          <label>
            {t('mkt.lead.touchNote')}
            <input value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} />
          </label>
          <button type="submit" className="primary" disabled={add.isPending} data-testid="touch-save">
            {t('mkt.spend.add')}
          </button>
          {error && (
            <p className="field-error" role="alert">
              {error}
            </p>
          )}
        </form>
      )}
      <p role="status" className="muted small">
        {status}
      </p>
    </section>
  );
}
