import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api, type RequestBody } from '../../api';
import { CreateForm, requiredProblem, SelectField, TextField } from '../form-kit';
import { type Choice, RefPicker } from '../picker';
import { type FormProps, nullIfEmpty, useNamedList, useOwner } from './common';

type Body = RequestBody<'/api/v1/leads', 'post'>;
type Status = NonNullable<Body['status']>;
/** The statuses a lead can start in (disqualified and converted come later, on its card). */
const OFFERED: Status[] = ['new', 'working', 'qualified'];
const SHOWN = ['title', 'company_name', 'contact_name', 'email', 'phone', 'channel_id', 'status', 'owner_id'] as const;

export function LeadForm({ me, onCreated, onCancel }: FormProps) {
  const { t } = useTranslation();
  const owner = useOwner(me);
  const channels = useNamedList('/channels');
  const [title, setTitle] = useState('');
  const [companyName, setCompanyName] = useState('');
  const [contactName, setContactName] = useState('');
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const [channel, setChannel] = useState('');
  const [status, setStatus] = useState<Status>('new');
  const [ownerChoice, setOwner] = useState<Choice | null>(owner.mine);
  const submit = async () => {
    // A lead is often known by its company first: its name is the title when none is given.
    const name = title.trim() || companyName.trim();
    const problem = requiredProblem(name, t);
    if (problem) return { title: problem };
    const body: Body = {
      title: name,
      company_name: nullIfEmpty(companyName),
      contact_name: nullIfEmpty(contactName),
      email: nullIfEmpty(email),
      phone: nullIfEmpty(phone),
      channel_id: channel ? Number(channel) : null,
      status,
      owner_id: ownerChoice?.id ?? null,
    };
    const l = await api<Answer<'/api/v1/leads', 'post'>>('/leads', { method: 'POST', body });
    onCreated({ kind: 'lead', id: l.id, message: t('header.create.created.lead', { name: l.title }), href: `/leads/${l.id}` });
  };
  return (
    <CreateForm shown={SHOWN} onSubmit={submit} submitLabel={t('header.create.submit')} onCancel={onCancel} testId="create-lead">
      <TextField name="title" label={t('header.create.fields.leadTitle')} value={title} onChange={setTitle} maxLength={300} />
      <div className="row">
        <TextField
          name="company_name"
          label={t('header.create.fields.leadCompany')}
          value={companyName}
          onChange={setCompanyName}
          maxLength={300}
        />
        <TextField
          name="contact_name"
          label={t('header.create.fields.leadContact')}
          value={contactName}
          onChange={setContactName}
          maxLength={300}
        />
      </div>
      <div className="row">
        <TextField
          name="email"
          label={t('header.create.fields.email')}
          value={email}
          onChange={setEmail}
          type="email"
          inputMode="email"
          maxLength={320}
        />
        <TextField
          name="phone"
          label={t('header.create.fields.phone')}
          value={phone}
          onChange={setPhone}
          type="tel"
          inputMode="tel"
          maxLength={50}
        />
      </div>
      <div className="row">
        <SelectField
          name="channel_id"
          label={t('header.create.fields.channel')}
          value={channel}
          onChange={setChannel}
          options={[
            { value: '', label: t('header.create.fields.none') },
            ...(channels.data?.items ?? []).map((c) => ({ value: String(c.id), label: c.name })),
          ]}
        />
        <SelectField
          name="status"
          label={t('header.create.fields.status')}
          value={status}
          onChange={setStatus}
          options={OFFERED.map((s) => ({ value: s, label: t(`header.leadStatus.${s}`) }))}
        />
      </div>
      <RefPicker name="owner_id" label={t('header.create.fields.owner')} value={ownerChoice} onChange={setOwner} load={owner.load} />
    </CreateForm>
  );
}
