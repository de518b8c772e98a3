import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api, type RequestBody } from '../../api';
import { addDays, formatDay, nowIn, parseClock, parseDay, zonedInstant } from '../dates';
import type { Errors } from '../field-errors';
import { CreateForm, DateField, requiredProblem, SelectField, TextArea, TextField } from '../form-kit';
import { loadDeals } from '../loaders';
import { type Choice, RefPicker } from '../picker';
import { type FormProps, nullIfEmpty, useLang, useOwner } from './common';

type Body = RequestBody<'/api/v1/tasks', 'post'>;
type TaskType = NonNullable<Body['type']>;
/** Every task type of the API (a new one on the server fails this file's type-check until it is listed). */
const TYPES: Record<TaskType, true> = {
  call: true,
  meeting: true,
  email: true,
  proposal: true,
  follow_up: true,
  document: true,
  other: true,
};
const SHOWN = ['title', 'type', 'due_at', 'deal_id', 'owner_id', 'notes'] as const;
/** A task given a day but no time is due at the end of that working day. */
const END_OF_DAY = { h: 18, min: 0 };

export function TaskForm({ me, around, onCreated, onCancel }: FormProps) {
  const { t } = useTranslation();
  const lang = useLang();
  const owner = useOwner(me);
  const tz = me.workspace.timezone;
  const [title, setTitle] = useState('');
  const [type, setType] = useState<TaskType>('call');
  const [due, setDue] = useState(() => formatDay(addDays(nowIn(tz), 1), lang));
  const [time, setTime] = useState('');
  const [deal, setDeal] = useState<Choice | null>(around.deal ?? null);
  const [ownerChoice, setOwner] = useState<Choice | null>(owner.mine);
  const [notes, setNotes] = useState('');
  const submit = async (): Promise<Errors | undefined> => {
    const local: Errors = {};
    const problem = requiredProblem(title, t);
    if (problem) local.title = problem;
    const day = due.trim() ? parseDay(due, lang) : null;
    if (due.trim() && !day) local.due_at = t('header.create.errors.date');
    const clock = time.trim() ? parseClock(time) : END_OF_DAY;
    if (!clock) local.due_time = t('header.create.errors.time');
    if (Object.keys(local).length) return local;
    const body: Body = {
      title: title.trim(),
      type,
      due_at: day && clock ? zonedInstant(day, clock, tz) : null,
      deal_id: deal?.id ?? null,
      owner_id: ownerChoice?.id ?? null,
      notes: nullIfEmpty(notes),
    };
    const task = await api<Answer<'/api/v1/tasks', 'post'>>('/tasks', { method: 'POST', body });
    onCreated({
      kind: 'task',
      id: task.id,
      message: t('header.create.created.task', { name: task.title }),
      href: task.deal_id ? `/deals/${task.deal_id}` : '/tasks',
    });
  };
  return (
    <CreateForm
      shown={[...SHOWN, 'due_time']}
      onSubmit={submit}
      submitLabel={t('header.create.submit')}
      onCancel={onCancel}
      testId="create-task"
    >
      <TextField name="title" label={t('header.create.fields.taskTitle')} value={title} onChange={setTitle} maxLength={300} />
      <SelectField
        name="type"
        label={t('header.create.fields.type')}
        value={type}
        onChange={setType}
        options={(Object.keys(TYPES) as TaskType[]).map((x) => ({ value: x, label: t(`header.taskType.${x}`) }))}
      />
      <div className="row pair">
        <DateField name="due_at" label={t('header.create.fields.due')} value={due} onChange={setDue} lang={lang} />
        <TextField
          name="due_time"
          label={t('header.create.fields.time')}
          placeholder={t('header.create.fields.timeHint')}
          value={time}
          onChange={setTime}
          inputMode="numeric"
          maxLength={5}
        />
      </div>
      <RefPicker name="deal_id" label={t('header.create.fields.deal')} value={deal} onChange={setDeal} load={loadDeals} />
      <RefPicker name="owner_id" label={t('header.create.fields.assignee')} value={ownerChoice} onChange={setOwner} load={owner.load} />
      <TextArea name="notes" label={t('header.create.fields.notes')} value={notes} onChange={setNotes} />
    </CreateForm>
  );
}
