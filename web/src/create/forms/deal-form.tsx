import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { minorDigits, parseAmount } from '../../../../src/platform/money';
import { type Answer, api, type RequestBody } from '../../api';
import { usePipelines } from '../../lookups';
import { amountProblem, type Errors } from '../field-errors';
import { CreateForm, requiredProblem, SelectField, TextField } from '../form-kit';
import { loadCompanies, loadContacts, loadLeads } from '../loaders';
import { type Choice, RefPicker } from '../picker';
import { type FormProps, useNamedList, useOwner } from './common';

type Body = RequestBody<'/api/v1/deals', 'post'>;
const SHOWN = [
  'title',
  'amount_minor',
  'company_id',
  'contact_id',
  'lead_id',
  'pipeline_id',
  'stage_id',
  'owner_id',
  'segment_id',
  'channel_id',
] as const;

/** An amount written back in the locale's grouping once typed: 1234567,8 → 1 234 567,80. */
function formatTyped(minor: number, currency: string, locale: string): string {
  const digits = minorDigits(currency);
  const factor = 10 ** digits;
  return new Intl.NumberFormat(locale === 'ru' ? 'ru-RU' : 'en-US', {
    minimumFractionDigits: minor % factor === 0 ? 0 : digits,
    maximumFractionDigits: digits,
  }).format(minor / factor);
}

/** The currency's sign for the amount's label: ₽, $, ¥ (its code where there is none). */
function currencySign(currency: string, locale: string): string {
  const parts = new Intl.NumberFormat(locale === 'ru' ? 'ru-RU' : 'en-US', {
    style: 'currency',
    currency,
    currencyDisplay: 'narrowSymbol',
  }).formatToParts(0);
  return parts.find((p) => p.type === 'currency')?.value ?? currency;
}

export function DealForm({ me, around, onCreated, onCancel }: FormProps) {
  const { t, i18n } = useTranslation();
  const owner = useOwner(me);
  const currency = me.workspace.currency;
  const pipelines = usePipelines();
  const segments = useNamedList('/segments');
  const channels = useNamedList('/channels');
  const [title, setTitle] = useState('');
  const [amount, setAmount] = useState('');
  const [company, setCompany] = useState<Choice | null>(around.company ?? null);
  const [contact, setContact] = useState<Choice | null>(around.contact ?? null);
  const [lead, setLead] = useState<Choice | null>(null);
  const [pipelineId, setPipelineId] = useState('');
  const [stageId, setStageId] = useState('');
  const [segment, setSegment] = useState('');
  const [channel, setChannel] = useState('');
  const [ownerChoice, setOwner] = useState<Choice | null>(owner.mine);

  // The server's defaults, shown: the first pipeline (by position) and its first open stage.
  const open = (pipelines.data?.items ?? []).filter((p) => !p.archived).sort((a, b) => a.position - b.position || a.id - b.id);
  const pipeline = open.find((p) => String(p.id) === pipelineId) ?? open[0];
  const stages = (pipeline?.stages ?? []).filter((s) => s.kind === 'open' && !s.archived).sort((a, b) => a.position - b.position);
  const stage = stages.find((s) => String(s.id) === stageId) ?? stages[0];

  const parsed = () => (amount.trim() ? parseAmount(amount, currency, i18n.language) : ({ ok: true, minor: 0 } as const));
  const submit = async (): Promise<Errors | undefined> => {
    const local: Errors = {};
    const problem = requiredProblem(title, t);
    if (problem) local.title = problem;
    const a = parsed();
    if (!a.ok) local.amount_minor = amountProblem(a, currency, minorDigits(currency), t);
    if (Object.keys(local).length || !a.ok) return local;
    const body: Body = {
      title: title.trim(),
      amount_minor: a.minor,
      company_id: company?.id ?? null,
      contact_id: contact?.id ?? null,
      lead_id: lead?.id ?? null,
      owner_id: ownerChoice?.id ?? null,
      segment_id: segment ? Number(segment) : null,
      channel_id: channel ? Number(channel) : null,
      ...(pipeline ? { pipeline_id: pipeline.id } : {}),
      ...(stage ? { stage_id: stage.id } : {}),
    };
    const d = await api<Answer<'/api/v1/deals', 'post'>>('/deals', { method: 'POST', body });
    onCreated({ kind: 'deal', id: d.id, message: t('header.create.created.deal', { name: d.title }), href: `/deals/${d.id}` });
  };
  const none = { value: '', label: t('header.create.fields.none') };
  return (
    <CreateForm shown={SHOWN} onSubmit={submit} submitLabel={t('header.create.submit')} onCancel={onCancel} testId="create-deal">
      <TextField name="title" label={t('header.create.fields.dealTitle')} value={title} onChange={setTitle} maxLength={300} />
      <TextField
        name="amount_minor"
        label={t('header.create.fields.amount', { currency: currencySign(currency, i18n.language) })}
        hint={t('header.create.fields.amountHint')}
        value={amount}
        onChange={setAmount}
        onBlur={() => {
          const a = parsed();
          if (a.ok && amount.trim()) setAmount(formatTyped(a.minor, currency, i18n.language));
        }}
        inputMode="decimal"
        maxLength={40}
      />
      <RefPicker
        name="company_id"
        label={t('header.create.fields.company')}
        value={company}
        onChange={(c) => {
          setCompany(c);
          if (!c) setContact(null);
        }}
        load={loadCompanies}
      />
      <RefPicker
        name="contact_id"
        label={t('header.create.fields.contact')}
        value={contact}
        onChange={setContact}
        load={loadContacts(company?.id ?? null)}
        loadKey={company?.id ?? null}
      />
      <div className="row">
        <SelectField
          name="pipeline_id"
          label={t('header.create.fields.pipeline')}
          value={pipeline ? String(pipeline.id) : ''}
          onChange={(v) => {
            setPipelineId(v);
            setStageId('');
          }}
          options={open.map((p) => ({ value: String(p.id), label: p.name }))}
        />
        <SelectField
          name="stage_id"
          label={t('header.create.fields.stage')}
          value={stage ? String(stage.id) : ''}
          onChange={setStageId}
          options={stages.map((s) => ({ value: String(s.id), label: s.name }))}
        />
      </div>
      <div className="row">
        <SelectField
          name="segment_id"
          label={t('header.create.fields.segment')}
          value={segment}
          onChange={setSegment}
          options={[none, ...(segments.data?.items ?? []).map((s) => ({ value: String(s.id), label: s.name }))]}
        />
        <SelectField
          name="channel_id"
          label={t('header.create.fields.channel')}
          value={channel}
          onChange={setChannel}
          options={[none, ...(channels.data?.items ?? []).map((c) => ({ value: String(c.id), label: c.name }))]}
        />
      </div>
      <RefPicker name="owner_id" label={t('header.create.fields.owner')} value={ownerChoice} onChange={setOwner} load={owner.load} />
      <RefPicker name="lead_id" label={t('header.create.fields.lead')} value={lead} onChange={setLead} load={loadLeads} />
    </CreateForm>
  );
}
