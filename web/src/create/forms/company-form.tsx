import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api, type RequestBody } from '../../api';
import { DuplicateWarning, useDuplicates } from '../duplicates';
import { CreateForm, requiredProblem, TextField } from '../form-kit';
import { type Choice, RefPicker } from '../picker';
import { type FormProps, nullIfEmpty, useOwner } from './common';

type Body = RequestBody<'/api/v1/companies', 'post'>;
const SHOWN = ['name', 'inn', 'industry', 'city', 'phone', 'website', 'owner_id'] as const;

export function CompanyForm({ me, onCreated, onCancel, onLeave }: FormProps) {
  const { t } = useTranslation();
  const owner = useOwner(me);
  const [name, setName] = useState('');
  const [inn, setInn] = useState('');
  const [industry, setIndustry] = useState('');
  const [city, setCity] = useState('');
  const [phone, setPhone] = useState('');
  const [website, setWebsite] = useState('');
  const [ownerChoice, setOwner] = useState<Choice | null>(owner.mine);
  const duplicates = useDuplicates('inn', inn);
  const submit = async () => {
    const problem = requiredProblem(name, t);
    if (problem) return { name: problem };
    const body: Body = {
      name: name.trim(),
      inn: nullIfEmpty(inn.replace(/\s/g, '')),
      industry: nullIfEmpty(industry),
      city: nullIfEmpty(city),
      phone: nullIfEmpty(phone),
      website: nullIfEmpty(website),
      owner_id: ownerChoice?.id ?? null,
    };
    const c = await api<Answer<'/api/v1/companies', 'post'>>('/companies', { method: 'POST', body });
    onCreated({ kind: 'company', id: c.id, message: t('header.create.created.company', { name: c.name }), href: `/companies/${c.id}` });
  };
  return (
    <CreateForm shown={SHOWN} onSubmit={submit} submitLabel={t('header.create.submit')} onCancel={onCancel} testId="create-company">
      <TextField name="name" label={t('header.create.fields.name')} value={name} onChange={setName} maxLength={300} />
      <TextField
        name="inn"
        label={t('header.create.fields.inn')}
        hint={t('header.create.fields.innHint')}
        value={inn}
        onChange={setInn}
        inputMode="numeric"
        maxLength={14}
        after={<DuplicateWarning hits={duplicates} by="inn" onOpen={onLeave} />}
      />
      <div className="row">
        <TextField name="industry" label={t('header.create.fields.industry')} value={industry} onChange={setIndustry} maxLength={200} />
        <TextField name="city" label={t('header.create.fields.city')} value={city} onChange={setCity} maxLength={200} />
      </div>
      <div className="row">
        <TextField
          name="phone"
          label={t('header.create.fields.phone')}
          value={phone}
          onChange={setPhone}
          type="tel"
          inputMode="tel"
          maxLength={50}
        />
        <TextField
          name="website"
          label={t('header.create.fields.website')}
          value={website}
          onChange={setWebsite}
          type="url"
          inputMode="url"
          maxLength={500}
        />
      </div>
      <RefPicker name="owner_id" label={t('header.create.fields.owner')} value={ownerChoice} onChange={setOwner} load={owner.load} />
    </CreateForm>
  );
}
