import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api, type RequestBody } from '../../api';
import { formatClock, formatDay, nowIn, parseClock, parseDay, zonedInstant } from '../dates';
import type { Errors } from '../field-errors';
import { CreateForm, DateField, SelectField, TextArea, TextField } from '../form-kit';
import { loadCompanies, loadContacts, loadDeals } from '../loaders';
import { type Choice, RefPicker } from '../picker';
import { type FormProps, nullIfEmpty, useLang } from './common';

type Body = RequestBody<'/api/v1/activities', 'post'>;
export type ActivityType = Body['type'];
type Outcome = NonNullable<Body['outcome']>;
/**
 * The outcomes that make sense for each activity type, the usual one first. A Record over the
 * API's types: a type added on the server fails this file's type-check until it is given here.
 */
const OUTCOMES: Record<ActivityType, Outcome[]> = {
  call: ['held', 'no_answer'],
  meeting: ['held', 'accepted', 'declined', 'no_show', 'rescheduled'],
  demo: ['held', 'no_show', 'rescheduled'],
  email: ['sent', 'replied'],
  proposal: ['sent'],
  // A note is added from a card's «Заметка» box (web/src/cards), not offered here.
  note: [],
};
const SHOWN = ['type', 'outcome', 'at', 'at_time', 'subject', 'deal_id', 'company_id', 'contact_id', 'notes'] as const;

export function ActivityForm({ me, around, onCreated, onCancel, initialType }: FormProps & { initialType: ActivityType }) {
  const { t } = useTranslation();
  const lang = useLang();
  const tz = me.workspace.timezone;
  const [type, setType] = useState<ActivityType>(initialType);
  const [outcome, setOutcome] = useState<Outcome>(OUTCOMES[initialType][0]);
  const [now] = useState(() => nowIn(tz));
  const [day, setDay] = useState(() => formatDay(now, lang));
  const [time, setTime] = useState(() => formatClock(now));
  const [subject, setSubject] = useState('');
  const [deal, setDeal] = useState<Choice | null>(around.deal ?? null);
  const [company, setCompany] = useState<Choice | null>(around.company ?? null);
  const [contact, setContact] = useState<Choice | null>(around.contact ?? null);
  const [notes, setNotes] = useState('');
  const submit = async (): Promise<Errors | undefined> => {
    const local: Errors = {};
    const d = parseDay(day, lang);
    if (!d) local.at = t(day.trim() ? 'header.create.errors.date' : 'header.create.errors.required');
    const c = parseClock(time);
    if (!c) local.at_time = t('header.create.errors.time');
    if (!d || !c) return local;
    const body: Body = {
      type,
      outcome,
      at: zonedInstant(d, c, tz),
      subject: nullIfEmpty(subject),
      deal_id: deal?.id ?? null,
      company_id: company?.id ?? null,
      contact_id: contact?.id ?? null,
      notes: nullIfEmpty(notes),
    };
    const a = await api<Answer<'/api/v1/activities', 'post'>>('/activities', { method: 'POST', body });
    const href = a.deal_id
      ? `/deals/${a.deal_id}`
      : a.contact_id
        ? `/contacts/${a.contact_id}`
        : a.company_id
          ? `/companies/${a.company_id}`
          : undefined;
    onCreated({ kind: 'activity', id: a.id, message: t(`header.create.created.activity.${a.type}`), href });
  };
  return (
    <CreateForm
      shown={SHOWN}
      onSubmit={submit}
      submitLabel={t('header.create.submitActivity')}
      onCancel={onCancel}
      testId="create-activity"
    >
      <div className="row">
        <SelectField
          name="type"
          label={t('header.create.fields.type')}
          value={type}
          onChange={(v) => {
            setType(v);
            setOutcome(OUTCOMES[v][0]);
          }}
          options={(Object.keys(OUTCOMES) as ActivityType[])
            .filter((x) => x !== 'note')
            .map((x) => ({ value: x, label: t(`header.activityType.${x}`) }))}
        />
        <SelectField
          name="outcome"
          label={t('header.create.fields.outcome')}
          value={outcome}
          onChange={setOutcome}
          options={OUTCOMES[type].map((o) => ({ value: o, label: t(`header.outcome.${type}.${o}`) }))}
        />
      </div>
      <div className="row pair">
        <DateField name="at" label={t('header.create.fields.date')} value={day} onChange={setDay} lang={lang} />
        <TextField
          name="at_time"
          label={t('header.create.fields.time')}
          placeholder={t('header.create.fields.timeHint')}
          value={time}
          onChange={setTime}
          inputMode="numeric"
          maxLength={5}
        />
      </div>
      <TextField name="subject" label={t('header.create.fields.subject')} value={subject} onChange={setSubject} maxLength={300} />
      <RefPicker name="deal_id" label={t('header.create.fields.deal')} value={deal} onChange={setDeal} load={loadDeals} />
      <div className="row">
        <RefPicker name="company_id" label={t('header.create.fields.company')} value={company} onChange={setCompany} load={loadCompanies} />
        <RefPicker
          name="contact_id"
          label={t('header.create.fields.contact')}
          value={contact}
          onChange={setContact}
          load={loadContacts(company?.id ?? null)}
          loadKey={company?.id ?? null}
        />
      </div>
      <TextArea name="notes" label={t('header.create.fields.notes')} value={notes} onChange={setNotes} />
    </CreateForm>
  );
}
