import { useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { CasesPanel, LogCaseButton } from '../accounts/cases';
import { api, type Me, type RecordCard } from '../api';
import { ArchiveButton, ArchivedBanner, UndoToast } from '../cards/archive';
import { CardBlocks } from '../cards/blocks';
import { ConvertDialog } from '../cards/convert';
import { ConflictBanner, EditableField, type FieldSpec, useCardEditor } from '../cards/edit';
import { CompanyLinks } from '../cards/links';
import { companySpec, contactSpec, namedSpec, useNamed, useOwnerSpec } from '../cards/specs';
import { CardTimeline, NoteBox } from '../cards/timeline';
import { ErrorState, Loading } from '../components';
import { useUsers } from '../lookups';
import { JourneyPanel, LeadFitPanel } from '../marketing/LeadMarketing';
import { RemarkButton } from '../remarks/RemarkButton';

type Kind = 'companies' | 'contacts' | 'leads';
type Rec = RecordCard['record'] & Record<string, unknown>;
const LEAD_STATUSES = ['new', 'working', 'qualified', 'disqualified'] as const;
// The account view draws a chart: its code comes with the company card, not in the first bundle.
const AccountPanel = lazy(() => import('../accounts/AccountPanel'));

/** The standard fields of each card, in the order shown, as edited in place. */
const reasonName = (r: Rec, reasons: { id: number; name: string }[]) => reasons.find((x) => x.id === r.disqualify_reason_id)?.name ?? null;

function standardSpecs(
  kind: Kind,
  r: Rec,
  c: RecordCard,
  t: (k: string) => string,
  channels: { id: number; name: string }[],
  reasons: { id: number; name: string }[],
): FieldSpec[] {
  const text = (name: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({
    name,
    label: t(`cards.field.${name}`),
    kind: 'text',
    value: r[name] ?? null,
    ...extra,
  });
  const num = (name: string) => text(name, { kind: 'number' });
  if (kind === 'companies')
    return [
      text('name', { required: true }),
      text('inn'),
      text('industry'),
      text('city'),
      num('employees'),
      text('website'),
      text('phone'),
    ];
  if (kind === 'contacts')
    return [
      text('name', { required: true }),
      companySpec(t, (r.company_id as number | null) ?? null, c.names.company),
      text('position'),
      text('email'),
      text('phone'),
      text('is_decision_maker', { kind: 'bool', required: true }),
    ];
  const status = r.status as string;
  return [
    text('title', { required: true }),
    {
      ...text('status', { kind: 'choice', required: true }),
      choices: LEAD_STATUSES.map((s) => ({ value: s, label: t(`cards.leadStatus.${s}`) })),
      readOnly: status === 'converted',
      display: t(`cards.leadStatus.${status}`),
    },
    text('company_name'),
    text('contact_name'),
    text('email'),
    text('phone'),
    text('industry'),
    num('employees'),
    text('region'),
    text('campaign'),
    text('utm_source'),
    text('utm_medium'),
    text('utm_campaign'),
    // Kept by the database from the ICP rules once the workspace has them (the «Соответствие ICP» panel explains it).
    { ...num('fit_score'), readOnly: r.icp_version !== null && r.icp_version !== undefined },
    ...(status === 'disqualified'
      ? [namedSpec(t, 'disqualify_reason_id', (r.disqualify_reason_id as number | null) ?? null, reasonName(r, reasons), reasons)]
      : []),
    namedSpec(t, 'channel_id', (r.channel_id as number | null) ?? null, c.names.channel, channels),
    companySpec(t, (r.company_id as number | null) ?? null, c.names.company),
    contactSpec(t, (r.contact_id as number | null) ?? null, c.names.contact, (r.company_id as number | null) ?? null),
  ];
}

/**
 * Company, contact and lead cards: every field edited in place (Enter saves, Escape cancels, the
 * version read sent; a stale one says who changed what), the owner, links, archive with undo,
 * notes, and the history from the audit log. A lead converts into a deal from here.
 */
export function RecordCardPage({ kind, id, me }: { kind: Kind; id: number; me: Me }) {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  const card = useQuery({ queryKey: ['card', kind, id], queryFn: () => api<RecordCard>(`/${kind}/${id}/card`) });
  const channels = useNamed('channels');
  const users = useUsers();
  const reasonList = useQuery({
    queryKey: ['disqualify-reasons'],
    queryFn: () =>
      api<{ items: { id: number; name_ru: string; name_en: string; active: boolean }[] }>('/lead-disqualify-reasons?limit=200'),
    enabled: kind === 'leads',
  });
  const reasons = (reasonList.data?.items ?? []).map((x) => ({ id: x.id, name: i18n.language === 'ru' ? x.name_ru : x.name_en }));
  const [converting, setConverting] = useState(false);
  const refresh = () => qc.invalidateQueries({ queryKey: ['card', kind, id] });
  const r = card.data?.record as Rec | undefined;
  const editor = useCardEditor(`/${kind}/${id}`, r?.version ?? 0, refresh);
  const owner = useOwnerSpec(me, (r?.owner_id as number | null) ?? null, card.data?.names.owner ?? null);
  if (card.isPending) return <Loading />;
  if (card.isError) return <ErrorState error={card.error} retry={() => card.refetch()} />;
  const c = card.data;
  const rec = c.record as Rec;
  const title = String(rec.name ?? rec.title ?? '');
  const currency = me.workspace.currency;
  const tz = me.workspace.timezone;
  const archivedAt = (rec.archived_at as string | null) ?? null;
  const field = (spec: FieldSpec) => (
    <EditableField
      key={spec.name}
      spec={spec}
      currency={currency}
      save={editor.save}
      pending={editor.pending}
      onPendingUsed={editor.clearPending}
    />
  );
  const link = { companies: 'company_id', contacts: 'contact_id', leads: 'lead_id' }[kind];
  return (
    <div className="page record-card-page" data-testid="record-card">
      <nav className="crumbs">
        <Link href={`/${kind}`}>← {t(`nav.${kind}`)}</Link>
      </nav>
      {archivedAt && <ArchivedBanner kind={kind} id={id} version={rec.version} archivedAt={archivedAt} tz={tz} onChanged={refresh} />}
      <div className="card-head">
        <div>
          <h1>{title}</h1>
          <p className="muted">
            {c.names.company && kind !== 'companies' && <Link href={`/companies/${String(rec.company_id)}`}>{c.names.company}</Link>}{' '}
            {c.names.owner ?? ''}
          </p>
        </div>
        <div className="cf-head-actions">
          {kind === 'leads' && rec.status !== 'converted' && rec.status !== 'disqualified' && !archivedAt && (
            <button type="button" className="primary" onClick={() => setConverting(true)} data-testid="convert">
              {t('cards.convert.button')}
            </button>
          )}
          {kind === 'leads' && rec.status === 'converted' && typeof rec.deal_id === 'number' && (
            <Link href={`/deals/${rec.deal_id}`}>{t('cards.convert.openDeal')}</Link>
          )}
          {kind === 'companies' && <LogCaseButton link={{ company_id: id }} />}
          {kind === 'contacts' && <LogCaseButton link={{ contact_id: id }} />}
          {!archivedAt && <ArchiveButton kind={kind} id={id} version={rec.version} name={title} onChanged={refresh} />}
          <RemarkButton object={({ companies: 'company', contacts: 'contact', leads: 'lead' } as const)[kind]} recordId={id} />
        </div>
      </div>
      <ConflictBanner
        conflict={editor.conflict}
        kept={editor.kept}
        currency={currency}
        tz={tz}
        blocks={c.blocks}
        onReload={async (x) => {
          await card.refetch();
          editor.reloaded(x);
        }}
      />
      <div className="card-grid">
        <div className="card-col">
          <section className="panel" aria-labelledby="cf-fields-h">
            <h2 id="cf-fields-h">{t('deal.fields')}</h2>
            <dl className="cf-list">
              {standardSpecs(kind, rec, c, t, channels.data?.items ?? [], reasons).map(field)}
              {field(owner)}
            </dl>
          </section>
          <CardBlocks blocks={c.blocks} values={rec.custom ?? {}} users={users.data?.items ?? []} field={field} />
          {kind === 'companies' && <CompanyLinks companyId={id} related={c.related} onChanged={refresh} />}
          {kind !== 'companies' && c.related.length > 0 && (
            <section className="panel">
              <h2>{t('deal.related')}</h2>
              <ul className="cf-links">
                {c.related.map((x) => (
                  <li key={`${x.kind}-${x.id}`}>
                    <Link href={`/${x.kind === 'deal' ? 'deals' : x.kind === 'contact' ? 'contacts' : 'leads'}/${x.id}`}>{x.title}</Link>
                    {x.detail && <span className="muted">{x.kind === 'deal' ? t(`status.${x.detail}`) : x.detail}</span>}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </div>
        <div className="card-col">
          {kind === 'companies' && (
            <Suspense fallback={<Loading />}>
              <AccountPanel companyId={id} me={me} />
            </Suspense>
          )}
          {kind === 'companies' && <CasesPanel filter={{ company_id: id }} tz={tz} />}
          {kind === 'contacts' && <CasesPanel filter={{ contact_id: id }} tz={tz} />}
          {kind === 'leads' && <LeadFitPanel leadId={id} />}
          {kind === 'leads' && <JourneyPanel leadId={id} tz={tz} canAdd={!archivedAt && me.user.role !== 'service'} />}
          <NoteBox link={{ [link]: id }} onAdded={refresh} tz={tz} />
          <section className="panel">
            <h2>{t('cards.history.title')}</h2>
            <CardTimeline items={c.timeline} tz={tz} currency={currency} blocks={c.blocks} />
          </section>
        </div>
      </div>
      {converting && kind === 'leads' && (
        <ConvertDialog
          lead={rec as Rec & { title: string }}
          currency={currency}
          onClose={() => {
            setConverting(false);
            refresh();
          }}
        />
      )}
      <UndoToast />
    </div>
  );
}
