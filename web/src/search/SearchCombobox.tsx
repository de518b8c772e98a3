import { type KeyboardEvent, type RefObject, useEffect, useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation } from 'wouter';
import { SearchIcon } from './icons';
import { splitByMatches } from './match';
import { cardHref, KINDS, MIN_QUERY, type SearchHit, useSearch } from './use-search';

const NONE: SearchHit[] = [];

/** `text` with the query's occurrences in <mark>. */
export function Marked({ text, query }: { text: string; query: string }) {
  return (
    <>
      {splitByMatches(text, query).map((p, i) =>
        p.mark ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one text, in order
          <mark key={i}>{p.text}</mark>
        ) : (
          p.text
        ),
      )}
    </>
  );
}

/**
 * The search field and its results, as a combobox with a listbox (the WAI-ARIA combobox
 * pattern): focus stays in the field, ↑/↓ move the active result (aria-activedescendant), Enter
 * opens its card, Escape closes the results (in the header) or the palette. The first result is
 * active as soon as results come, so Enter after typing opens the best match. Results are grouped
 * by kind, each with what else identifies it and why it matched, the query marked in both.
 *
 * `header`: the field of the top bar, its results dropping down while it has focus and text.
 * `palette`: the field of the Ctrl+K dialog, its results always below it.
 */
export function SearchCombobox({
  variant,
  onDone,
  inputRef,
}: {
  variant: 'header' | 'palette';
  onDone?: () => void;
  inputRef?: RefObject<HTMLInputElement | null>;
}) {
  const { t } = useTranslation();
  const [, navigate] = useLocation();
  const id = useId();
  const [text, setText] = useState('');
  const [focused, setFocused] = useState(variant === 'palette');
  const [dismissed, setDismissed] = useState(false);
  const [active, setActive] = useState(-1);
  const { q, enabled, query, settled, typing } = useSearch(text, { limit: variant === 'palette' ? 8 : 6 });
  const items = enabled && query.data ? query.data.items : NONE;
  const groups = useMemo(
    () => KINDS.map((kind) => ({ kind, hits: items.filter((h) => h.kind === kind) })).filter((g) => g.hits.length > 0),
    [items],
  );
  const flat = useMemo(() => groups.flatMap((g) => g.hits), [groups]);
  const optionId = (h: SearchHit) => `${id}-${h.kind}-${h.id}`;

  // New results: the best one is active.
  useEffect(() => setActive(flat.length ? 0 : -1), [flat]);
  const activeHit = active >= 0 ? flat[active] : undefined;
  useEffect(() => {
    if (activeHit) document.getElementById(optionId(activeHit))?.scrollIntoView({ block: 'nearest' });
  });

  const showPopup = variant === 'palette' || (focused && !dismissed && text.trim().length > 0);
  const listShown = showPopup && flat.length > 0;

  const open = (h: SearchHit) => {
    navigate(cardHref(h));
    setText('');
    onDone?.();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      setDismissed(false);
      if (!flat.length) return;
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((a) => (a < 0 ? (step > 0 ? 0 : flat.length - 1) : (a + step + flat.length) % flat.length));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (listShown && activeHit) open(activeHit);
    } else if (e.key === 'Escape' && variant === 'header') {
      // The palette's Escape closes its dialog (the browser's cancel); the header's closes the list, then clears the field.
      e.preventDefault();
      if (showPopup) setDismissed(true);
      else setText('');
    }
  };

  let status = '';
  if (enabled && query.isError) status = t('header.search.error');
  else if (settled) status = flat.length ? t('header.search.found', { count: flat.length }) : t('header.search.empty', { q });

  const listboxId = `${id}-listbox`;
  return (
    <div className={`search-combo ${variant}`}>
      <div className="search-field">
        <SearchIcon />
        <input
          ref={inputRef}
          type="text"
          role="combobox"
          aria-label={t('header.search.label')}
          aria-expanded={listShown}
          aria-controls={listboxId}
          aria-autocomplete="list"
          aria-activedescendant={listShown && activeHit ? optionId(activeHit) : undefined}
          aria-describedby={`${id}-status`}
          placeholder={t(variant === 'palette' ? 'header.search.phonePlaceholder' : 'header.search.placeholder')}
          autoComplete="off"
          spellCheck={false}
          enterKeyHint="search"
          value={text}
          data-autofocus={variant === 'palette' ? '' : undefined}
          data-testid={`search-input-${variant}`}
          onChange={(e) => {
            setText(e.target.value);
            setDismissed(false);
          }}
          onKeyDown={onKeyDown}
          onFocus={() => setFocused(true)}
          onBlur={() => setFocused(false)}
        />
        {variant === 'header' && (
          <kbd className="search-kbd">{/Mac|iP(hone|ad)/.test(navigator.userAgent) ? '⌘K' : t('header.search.shortcut')}</kbd>
        )}
      </div>
      <div id={`${id}-status`} className="sr-only" role="status" aria-live="polite">
        {status}
      </div>
      <div className="search-popup" hidden={!showPopup} data-testid={`search-results-${variant}`}>
        {/* The listbox is always in the page (aria-controls names it), empty while there is nothing to list. */}
        <div role="listbox" id={listboxId} aria-label={t('header.search.results')} className="search-list">
          {listShown &&
            groups.map((g) => (
              // biome-ignore lint/a11y/useSemanticElements: a listbox holds options and groups of options, not a fieldset
              <div role="group" key={g.kind} aria-labelledby={`${id}-group-${g.kind}`} className="search-group">
                <div role="presentation" id={`${id}-group-${g.kind}`} className="search-group-title">
                  {t(`header.search.kinds.${g.kind}`)}
                </div>
                {g.hits.map((h) => {
                  const i = flat.indexOf(h);
                  const why = h.matched !== 'name' ? t(`header.search.matched.${h.matched}`, { defaultValue: '' }) : '';
                  return (
                    // biome-ignore lint/a11y/useKeyWithClickEvents: the options are chosen with the field's keys (aria-activedescendant); the click is the pointer's way
                    <div
                      key={optionId(h)}
                      id={optionId(h)}
                      role="option"
                      tabIndex={-1}
                      aria-selected={i === active}
                      className={`search-hit${i === active ? ' active' : ''}`}
                      data-testid={`hit-${h.kind}-${h.id}`}
                      onMouseDown={(e) => e.preventDefault()}
                      onMouseMove={() => i !== active && setActive(i)}
                      onClick={() => open(h)}
                    >
                      <span className="hit-title">
                        <Marked text={h.title} query={q} />
                      </span>
                      {(h.subtitle || why) && (
                        <span className="hit-sub">
                          {h.subtitle && <Marked text={h.subtitle} query={q} />}
                          {why && <span className="hit-why">{why}</span>}
                        </span>
                      )}
                    </div>
                  );
                })}
              </div>
            ))}
        </div>
        {text.trim().length > 0 && text.trim().length < MIN_QUERY && <p className="search-note">{t('header.search.typeMore')}</p>}
        {variant === 'palette' && text.trim().length === 0 && <p className="search-note">{t('header.search.typeMore')}</p>}
        {enabled && query.isError && (
          <div className="search-note error" role="alert">
            {t('header.search.error')}{' '}
            <button type="button" className="link" onMouseDown={(e) => e.preventDefault()} onClick={() => query.refetch()}>
              {t('header.search.retry')}
            </button>
          </div>
        )}
        {enabled && !query.isError && settled && flat.length === 0 && (
          <div className="search-note search-empty">
            <p className="strong">{t('header.search.empty', { q })}</p>
            <p className="muted">{t('header.search.emptyHint')}</p>
          </div>
        )}
        {enabled && !query.isError && (typing || query.isFetching) && flat.length === 0 && (
          <p className="search-note muted">{t('header.search.loading')}</p>
        )}
        {variant === 'palette' && <p className="search-keys">{t('header.search.keys')}</p>}
      </div>
    </div>
  );
}
