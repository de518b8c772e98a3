import type { Answer, Block, RequestBody } from '../../api';

/** The card designer's working copy of a layout, and what it sends (pure: unit-tested). */
export type Layout = Answer<'/api/v1/card-layouts/{object}', 'get'>;
export type LayoutField = Layout['loose'][number];
type LayoutPut = RequestBody<'/api/v1/card-layouts/{object}', 'put'>;

export interface DraftField extends Omit<LayoutField, 'id'> {
  /** Made here, not saved yet. */
  isNew?: boolean;
}
export interface DraftBlock {
  /** The block's id in this screen: its id, or a made-up one for a new block. */
  cid: string;
  id: number | null;
  name_ru: string;
  name_en: string;
  pinned: boolean;
  fields: string[];
}
export interface Draft {
  blocks: DraftBlock[];
  loose: string[];
  fields: Record<string, DraftField>;
}

export function draftOf(l: Layout): Draft {
  const fields: Record<string, DraftField> = {};
  for (const f of [...l.blocks.flatMap((b) => b.fields), ...l.loose]) {
    const { id: _id, ...rest } = f;
    fields[f.key] = rest;
  }
  return {
    blocks: l.blocks.map((b) => ({
      cid: String(b.id),
      id: b.id,
      name_ru: b.name_ru,
      name_en: b.name_en,
      pinned: b.pinned,
      fields: b.fields.map((f) => f.key),
    })),
    loose: l.loose.map((f) => f.key),
    fields,
  };
}

/** Moves a field to `index` of a block (`loose`: no block); an index past the end puts it last. */
export function moveField(d: Draft, key: string, cid: string, index: number): Draft {
  const without = (ks: string[]) => ks.filter((k) => k !== key);
  const insert = (ks: string[]) => {
    const list = without(ks);
    list.splice(Math.max(0, Math.min(index, list.length)), 0, key);
    return list;
  };
  return {
    ...d,
    blocks: d.blocks.map((b) => ({ ...b, fields: b.cid === cid ? insert(b.fields) : without(b.fields) })),
    loose: cid === 'loose' ? insert(d.loose) : without(d.loose),
  };
}

/** The blocks as the card reads them (the loose fields as the card's last block, `other`). */
export function blocksOf(d: Draft, other: string): Block[] {
  const field = (k: string) => {
    const { key, label_ru, label_en, type, choices } = d.fields[k];
    return { key, label_ru, label_en, type, choices };
  };
  const out: Block[] = d.blocks.map((b) => ({
    id: b.id,
    name_ru: b.name_ru,
    name_en: b.name_en,
    pinned: b.pinned,
    fields: b.fields.map(field),
  }));
  if (d.loose.length) out.push({ id: null, name_ru: other, name_en: other, pinned: false, fields: d.loose.map(field) });
  return out;
}

/** How many things differ from the layout read: blocks added, removed, changed or moved; fields new, moved. */
export function changeCount(a: Draft, b: Draft): number {
  const before = new Map(a.blocks.map((x) => [x.cid, x]));
  const after = new Set(b.blocks.map((x) => x.cid));
  // The order of the blocks both have, before and after.
  const stayed = a.blocks.filter((x) => after.has(x.cid)).map((x) => x.cid);
  const kept = b.blocks.filter((x) => before.has(x.cid)).map((x) => x.cid);
  let n = a.blocks.length - stayed.length;
  for (const x of b.blocks) {
    const o = before.get(x.cid);
    if (!o || o.name_ru !== x.name_ru || o.name_en !== x.name_en || o.pinned !== x.pinned || stayed.indexOf(x.cid) !== kept.indexOf(x.cid))
      n++;
  }
  const place = (d: Draft) => {
    const m = new Map<string, string>();
    for (const x of d.blocks) for (const [i, k] of x.fields.entries()) m.set(k, `${x.cid}:${i}`);
    for (const [i, k] of d.loose.entries()) m.set(k, `loose:${i}`);
    return m;
  };
  const pa = place(a);
  for (const [k, p] of place(b)) if (pa.get(k) !== p) n++;
  return n;
}

/** The PUT of the whole layout: blocks in order with their fields, the loose fields, the new fields' definitions. */
export function layoutBody(version: string, d: Draft): LayoutPut {
  return {
    version,
    blocks: d.blocks.map((b) => ({ id: b.id, name_ru: b.name_ru, name_en: b.name_en, pinned: b.pinned, fields: b.fields })),
    loose: d.loose,
    fields: Object.values(d.fields)
      .filter((f) => f.isNew)
      .map((f) => ({ key: f.key, label_ru: f.label_ru, label_en: f.label_en, type: f.type, choices: f.choices })),
  };
}

const LATIN: Record<string, string> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  д: 'd',
  е: 'e',
  ё: 'e',
  ж: 'zh',
  з: 'z',
  и: 'i',
  й: 'y',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'h',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'sch',
  ъ: '',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'yu',
  я: 'ya',
};

/** A key suggested from a label: «Бюджет клиента» → budzhet_klienta (latin, digits and _, from a letter). */
export function suggestKey(label: string): string {
  const latin = [...label.toLowerCase()].map((c) => LATIN[c] ?? c).join('');
  const key = latin
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .replace(/_+$/, '');
  return key.slice(0, 63).replace(/_+$/, '');
}
