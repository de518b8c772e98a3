import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api, type RequestBody } from '../../api';
import { DuplicateWarning, useDuplicates } from '../duplicates';
import { CheckField, CreateForm, requiredProblem, TextField } from '../form-kit';
import { loadCompanies } from '../loaders';
import { type Choice, RefPicker } from '../picker';
import { type FormProps, nullIfEmpty, useOwner } from './common';

type Body = RequestBody<'/api/v1/contacts', 'post'>;
const SHOWN = ['name', 'company_id', 'position', 'email', 'phone', 'is_decision_maker', 'owner_id'] as const;

export function ContactForm({ me, around, onCreated, onCancel, onLeave }: FormProps) {
  const { t } = useTranslation();
  const owner = useOwner(me);
  const [name, setName] = useState('');
  const [company, setCompany] = useState<Choice | null>(around.company ?? null);
  const [position, setPosition] = useState('');
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const [decisionMaker, setDecisionMaker] = useState(false);
  const [ownerChoice, setOwner] = useState<Choice | null>(owner.mine);
  const sameEmail = useDuplicates('email', email);
  const samePhone = useDuplicates('phone', phone);
  const submit = async () => {
    const problem = requiredProblem(name, t);
    if (problem) return { name: problem };
    const body: Body = {
      name: name.trim(),
      company_id: company?.id ?? null,
      position: nullIfEmpty(position),
      email: nullIfEmpty(email),
      phone: nullIfEmpty(phone),
      is_decision_maker: decisionMaker,
      owner_id: ownerChoice?.id ?? null,
    };
    const c = await api<Answer<'/api/v1/contacts', 'post'>>('/contacts', { method: 'POST', body });
    onCreated({ kind: 'contact', id: c.id, message: t('header.create.created.contact', { name: c.name }), href: `/contacts/${c.id}` });
  };
  return (
    <CreateForm shown={SHOWN} onSubmit={submit} submitLabel={t('header.create.submit')} onCancel={onCancel} testId="create-contact">
      <TextField
        name="name"
        label={t('header.create.fields.personName')}
        value={name}
        onChange={setName}
        maxLength={300}
        autoComplete="off"
      />
      <RefPicker name="company_id" label={t('header.create.fields.company')} value={company} onChange={setCompany} load={loadCompanies} />
      <TextField name="position" label={t('header.create.fields.position')} value={position} onChange={setPosition} maxLength={200} />
      <div className="row">
        <TextField
          name="email"
          label={t('header.create.fields.email')}
          value={email}
          onChange={setEmail}
          type="email"
          inputMode="email"
          maxLength={320}
          after={<DuplicateWarning hits={sameEmail} by="email" onOpen={onLeave} />}
        />
        <TextField
          name="phone"
          label={t('header.create.fields.phone')}
          value={phone}
          onChange={setPhone}
          type="tel"
          inputMode="tel"
          maxLength={50}
          after={<DuplicateWarning hits={samePhone} by="phone" onOpen={onLeave} />}
        />
      </div>
      <CheckField
        name="is_decision_maker"
        label={t('header.create.fields.decisionMaker')}
        checked={decisionMaker}
        onChange={setDecisionMaker}
      />
      <RefPicker name="owner_id" label={t('header.create.fields.owner')} value={ownerChoice} onChange={setOwner} load={owner.load} />
    </CreateForm>
  );
}
