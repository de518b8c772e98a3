import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api, type Block, type FieldDef, type Me, type Named, type Page } from '../api';
import { loadCompanies, loadContacts } from '../create/loaders';
import { useUsers } from '../lookups';
import type { FieldKind, FieldSpec } from './edit';

/** A small reference list (segments, channels) for a select. */
export function useNamed(path: 'segments' | 'channels') {
  return useQuery({ queryKey: [path, 'names'], queryFn: () => api<Page<Named>>(`/${path}?limit=500`), staleTime: 300_000 });
}

/**
 * The owner select: the workspace's active users for whoever may hand records to others (admin,
 * head of sales, team lead — the server keeps a team lead to their team and answers 403 with its
 * reason otherwise); a manager may only take a record, so sees only themself.
 */
export function useOwnerSpec(me: Me, value: number | null, name: string | null): FieldSpec {
  const { t } = useTranslation();
  const users = useUsers();
  const active = (users.data?.items ?? []).filter((u) => u.active);
  const mayReassign = me.user.role !== 'manager';
  const list = mayReassign ? active : active.filter((u) => u.id === me.user.id || u.id === value);
  return {
    name: 'owner_id',
    label: t('cards.field.owner_id'),
    kind: 'choice',
    value: value === null ? '' : String(value),
    display: name ?? t('cards.empty'),
    choices: list.map((u) => ({ value: String(u.id), label: u.name })),
  };
}

/** A select's value as the API's id. */
export const idOf = (v: unknown) => (v === '' || v === null || v === undefined ? null : Number(v));

export function companySpec(t: (k: string) => string, value: number | null, name: string | null): FieldSpec {
  return {
    name: 'company_id',
    label: t('cards.field.company_id'),
    kind: 'ref',
    value,
    refName: name,
    load: loadCompanies,
    display: value ? <Link href={`/companies/${value}`}>{name ?? `#${value}`}</Link> : t('cards.empty'),
  };
}

export function contactSpec(t: (k: string) => string, value: number | null, name: string | null, companyId: number | null): FieldSpec {
  return {
    name: 'contact_id',
    label: t('cards.field.contact_id'),
    kind: 'ref',
    value,
    refName: name,
    load: loadContacts(companyId),
    display: value ? <Link href={`/contacts/${value}`}>{name ?? `#${value}`}</Link> : t('cards.empty'),
  };
}

export function namedSpec(
  t: (k: string) => string,
  field: 'segment_id' | 'channel_id' | 'disqualify_reason_id',
  value: number | null,
  name: string | null,
  list: Named[],
): FieldSpec {
  return {
    name: field,
    label: t(`cards.field.${field}`),
    kind: 'choice',
    value: value === null ? '' : String(value),
    display: name ?? t('cards.empty'),
    choices: list.map((x) => ({ value: String(x.id), label: x.name })),
  };
}

/** A person a `user` field may name: the workspace's users (the inactive kept for values written before). */
export interface FieldUser {
  id: number;
  name: string;
  active: boolean;
}

const KINDS: Record<FieldDef['type'], FieldKind> = {
  text: 'text',
  number: 'number',
  money: 'money',
  date: 'date',
  choice: 'choice',
  multi_choice: 'multi',
  user: 'user',
  link: 'link',
};

/**
 * The custom fields of a block as specs (`custom.key`), labels in the reader's language. A user
 * field offers the active users, and shows the one already named even when deactivated since.
 */
export function customSpecs(block: Block, values: Record<string, unknown>, ru: boolean, users: FieldUser[] = []): FieldSpec[] {
  return block.fields.map((f) => {
    const value = values[f.key] ?? null;
    const choices =
      f.type === 'user'
        ? users.filter((u) => u.active || u.id === value).map((u) => ({ value: String(u.id), label: u.name }))
        : f.choices.map((c) => ({ value: c.value, label: ru ? c.label_ru : c.label_en }));
    return {
      name: `custom.${f.key}`,
      label: ru ? f.label_ru : f.label_en,
      kind: KINDS[f.type],
      value: f.type === 'user' && typeof value === 'number' ? String(value) : value,
      choices: f.type === 'choice' || f.type === 'multi_choice' || f.type === 'user' ? choices : undefined,
    };
  });
}
