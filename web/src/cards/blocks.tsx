import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Block } from '../api';
import type { FieldSpec } from './edit';
import { customSpecs, type FieldUser } from './specs';

/**
 * A card's custom-field blocks as the head of sales laid them out: pinned blocks first, then the
 * others in their order, each with its fields in order; empty blocks are not shown. The real cards
 * and the card designer's preview draw them with this one component, so the preview is the card.
 */
export function CardBlocks({
  blocks,
  values,
  users,
  field,
}: {
  blocks: Block[];
  values: Record<string, unknown>;
  users: FieldUser[];
  field: (spec: FieldSpec) => ReactNode;
}) {
  const { t, i18n } = useTranslation();
  const ru = i18n.language === 'ru';
  const ordered = [...blocks.filter((b) => b.pinned), ...blocks.filter((b) => !b.pinned)];
  return (
    <>
      {ordered
        .filter((b) => b.fields.length > 0)
        .map((b) => (
          <section
            key={b.id ?? 'other'}
            className={`panel${b.pinned ? ' pinned' : ''}`}
            aria-label={ru ? b.name_ru : b.name_en}
            data-block={b.name_ru}
          >
            <h2>
              {ru ? b.name_ru : b.name_en} {b.pinned && <span className="badge">{t('deal.pinned')}</span>}
            </h2>
            <dl className="cf-list">{customSpecs(b, values, ru, users).map(field)}</dl>
          </section>
        ))}
    </>
  );
}
