import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api, type Block, type Me, type Names, type TimelineItem } from '../api';
import { ErrorState, Loading } from '../components';
import { dateTime, minorDigits, minorToDecimal, moneyStep, num, parseMoneyInput, toMajor } from '../format';

/** A block of custom fields, values shown in the reader's language, each editable in place. */
export function BlockView({
  block,
  values,
  currency,
  onEdit,
}: {
  block: Block;
  values: Record<string, unknown>;
  /** The workspace currency, which money fields count minor units of. */
  currency: string;
  onEdit?: (key: string, value: string) => Promise<void>;
}) {
  const { t, i18n } = useTranslation();
  const ru = i18n.language === 'ru';
  const [editing, setEditing] = useState<string | null>(null);
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  if (block.fields.length === 0) return null;
  const show = (f: Block['fields'][number]) => {
    const v = values[f.key];
    if (v === undefined || v === null || v === '') return t('common.none');
    if (f.type === 'choice') {
      const c = f.choices.find((x) => x.value === v);
      return c ? (ru ? c.label_ru : c.label_en) : String(v);
    }
    if (f.type === 'number') return num(Number(v), 2);
    if (f.type === 'money') return num(toMajor(Number(v), currency), minorDigits(currency));
    return String(v);
  };
  return (
    <section className={`panel${block.pinned ? ' pinned' : ''}`} aria-label={ru ? block.name_ru : block.name_en}>
      <h2>
        {ru ? block.name_ru : block.name_en} {block.pinned && <span className="badge">{t('deal.pinned')}</span>}
      </h2>
      <dl className="fields">
        {block.fields.map((f) => (
          <div key={f.key} className="field-row">
            <dt>{ru ? f.label_ru : f.label_en}</dt>
            <dd>
              {editing === f.key && onEdit ? (
                <form
                  className="inline-edit"
                  onSubmit={async (e) => {
                    e.preventDefault();
                    setError(null);
                    try {
                      await onEdit(f.key, value);
                      setEditing(null);
                    } catch (err) {
                      setError(err instanceof Error ? err.message : String(err));
                    }
                  }}
                >
                  {f.type === 'choice' ? (
                    <select value={value} onChange={(e) => setValue(e.target.value)} aria-label={ru ? f.label_ru : f.label_en}>
                      <option value="">—</option>
                      {f.choices.map((c) => (
                        <option key={c.value} value={c.value}>
                          {ru ? c.label_ru : c.label_en}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <input
                      type={f.type === 'date' ? 'date' : f.type === 'text' ? 'text' : 'number'}
                      step={f.type === 'money' ? moneyStep(currency) : 'any'}
                      value={value}
                      onChange={(e) => setValue(e.target.value)}
                      aria-label={ru ? f.label_ru : f.label_en}
                    />
                  )}
                  <button type="submit" className="primary">
                    {t('common.save')}
                  </button>
                  <button type="button" onClick={() => setEditing(null)}>
                    {t('common.cancel')}
                  </button>
                  {error && <span className="error">{error}</span>}
                </form>
              ) : (
                <>
                  {show(f)}
                  {onEdit && (
                    <button
                      type="button"
                      className="link"
                      onClick={() => {
                        setEditing(f.key);
                        const v = values[f.key];
                        setValue(v === undefined || v === null ? '' : f.type === 'money' ? minorToDecimal(Number(v), currency) : String(v));
                      }}
                      aria-label={`${t('deal.edit')}: ${ru ? f.label_ru : f.label_en}`}
                    >
                      {t('deal.edit')}
                    </button>
                  )}
                </>
              )}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

const FIELD_LABEL: Record<string, string> = {
  amount_minor: 'deal.amount',
  company_id: 'deal.company',
  contact_id: 'deal.contact',
  owner_id: 'deal.owner',
  segment_id: 'deal.segment',
  channel_id: 'deal.channel',
  region_id: 'deal.region',
  atypical: 'deal.atypical',
  atypical_reason: 'deal.atypicalReason',
};

export function Timeline({ items, tz, blocks = [] }: { items: TimelineItem[]; tz: string; blocks?: Block[] }) {
  const { t, i18n } = useTranslation();
  const fieldName = (key: string) => {
    if (key.startsWith('custom.')) {
      const f = blocks.flatMap((b) => b.fields).find((x) => x.key === key.slice(7));
      return f ? (i18n.language === 'ru' ? f.label_ru : f.label_en) : key.slice(7);
    }
    return t(FIELD_LABEL[key] ?? `list.columns.${key}`, { defaultValue: key.replace(/_/g, ' ') });
  };
  if (items.length === 0) return <p className="muted">{t('common.empty')}</p>;
  const label = (i: TimelineItem) => {
    if (i.kind === 'activity') {
      const [type, outcome] = i.title.split(':');
      return `${t(`activityType.${type}`)}${outcome ? ` — ${t(`outcome.${outcome}`)}` : ''}`;
    }
    if (i.kind === 'task_done') return `✓ ${i.title}`;
    if (i.kind === 'edit') return `✎ ${t('deal.edited')}: ${i.title.split(',').map(fieldName).join(', ')}`;
    return `→ ${i.title}`;
  };
  return (
    <ol className="timeline">
      {items.slice(0, 100).map((i) => (
        <li key={`${i.kind}-${i.at}-${i.title}`} className={i.kind}>
          <time dateTime={i.at}>{dateTime(i.at, tz)}</time>
          <div>
            <strong>{label(i)}</strong>
            {i.forced && <span className="badge warn">{t('deal.forced')}</span>}
            {i.detail && <p className="muted">{i.detail}</p>}
            {i.user && <span className="muted small">{i.user}</span>}
          </div>
        </li>
      ))}
    </ol>
  );
}

interface RecordCard {
  record: Record<string, unknown> & { id: number; version: number; custom?: Record<string, unknown> };
  names: Names;
  blocks: Block[];
  related: { kind: 'deal' | 'contact' | 'lead'; id: number; title: string; detail: string | null }[];
  timeline: TimelineItem[];
}

const SHOWN: Record<string, string[]> = {
  companies: ['inn', 'industry', 'city', 'employees', 'website', 'phone'],
  contacts: ['position', 'email', 'phone'],
  leads: ['company_name', 'contact_name', 'email', 'phone', 'status', 'fit_score'],
};

/** Company, contact and lead cards: the same standard as the deal card. */
export function RecordCardPage({ kind, id, me }: { kind: 'companies' | 'contacts' | 'leads'; id: number; me: Me }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const card = useQuery({ queryKey: ['card', kind, id], queryFn: () => api<RecordCard>(`/${kind}/${id}/card`) });
  if (card.isPending) return <Loading />;
  if (card.isError) return <ErrorState error={card.error} retry={() => card.refetch()} />;
  const r = card.data.record;
  const title = String(r.name ?? r.title ?? '');
  const labels: Record<string, string> = {
    inn: 'ИНН',
    industry: t('list.columns.industry'),
    city: t('list.columns.city'),
    employees: t('list.columns.employees'),
    website: 'Web',
    phone: t('list.columns.phone'),
    position: t('list.columns.position'),
    email: t('list.columns.email'),
    company_name: t('list.columns.company'),
    contact_name: t('nav.contacts'),
    status: t('list.columns.status'),
    fit_score: t('list.columns.fit'),
  };
  return (
    <div className="page">
      <nav className="crumbs">
        <Link href={`/${kind}`}>← {t(`nav.${kind}`)}</Link>
      </nav>
      <div className="card-head">
        <div>
          <h1>{title}</h1>
          <p className="muted">
            {card.data.names.company && kind !== 'companies' && (
              <Link href={`/companies/${String(r.company_id)}`}>{card.data.names.company}</Link>
            )}{' '}
            {card.data.names.owner ?? ''}
          </p>
        </div>
      </div>
      <div className="card-grid">
        <div className="card-col">
          <section className="panel">
            <h2>{t('deal.fields')}</h2>
            <dl className="fields">
              {SHOWN[kind].map((f) => (
                <div key={f} className="field-row">
                  <dt>{labels[f] ?? f}</dt>
                  <dd>{r[f] === null || r[f] === undefined || r[f] === '' ? t('common.none') : String(r[f])}</dd>
                </div>
              ))}
            </dl>
          </section>
          {card.data.blocks.map((b) => (
            <BlockView
              key={b.id ?? 'other'}
              block={b}
              values={r.custom ?? {}}
              currency={me.workspace.currency}
              onEdit={async (key, value) => {
                const def = b.fields.find((f) => f.key === key);
                const v =
                  value === ''
                    ? null
                    : def?.type === 'number'
                      ? Number(value)
                      : def?.type === 'money'
                        ? parseMoneyInput(value, me.workspace.currency)
                        : value;
                await api(`/${kind}/${id}`, { method: 'PATCH', body: { version: r.version, custom: { [key]: v } } });
                qc.invalidateQueries({ queryKey: ['card', kind, id] });
              }}
            />
          ))}
        </div>
        <div className="card-col">
          <section className="panel">
            <h2>{t('deal.related')}</h2>
            {card.data.related.length === 0 ? (
              <p className="muted">{t('common.empty')}</p>
            ) : (
              <ul className="related">
                {card.data.related.map((x) => (
                  <li key={`${x.kind}-${x.id}`}>
                    <Link href={`/${x.kind === 'deal' ? 'deals' : x.kind === 'contact' ? 'contacts' : 'leads'}/${x.id}`}>{x.title}</Link>
                    {x.detail && <span className="muted"> · {x.kind === 'deal' ? t(`status.${x.detail}`) : x.detail}</span>}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="panel">
            <h2>{t('deal.timeline')}</h2>
            <Timeline items={card.data.timeline} tz={me.workspace.timezone} blocks={card.data.blocks} />
          </section>
        </div>
      </div>
    </div>
  );
}
