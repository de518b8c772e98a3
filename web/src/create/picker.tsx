import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Marked } from '../search/SearchCombobox';
import { useDebounced } from '../search/use-search';
import { FieldShell, useChange, useControlProps } from './form-kit';

/** A record a reference field can point to. */
export interface Choice {
  id: number;
  title: string;
  subtitle?: string | null;
}

/**
 * A reference field (company, contact, deal, owner…) that searches as you type: a combobox whose
 * listbox shows what `load` finds for the text (with an empty text, what `load('')` suggests —
 * the newest companies, the chosen company's contacts, the team). Choosing sets the value; typing
 * over a chosen record clears it; leaving the field puts the chosen name back. ✕ clears it.
 */
export function RefPicker({
  name,
  label,
  value,
  onChange,
  load,
  loadKey,
  hint,
}: {
  name: string;
  label: string;
  value: Choice | null;
  onChange: (c: Choice | null) => void;
  load: (q: string, signal: AbortSignal) => Promise<Choice[]>;
  /** What else the suggestions depend on (the chosen company for contacts). */
  loadKey?: unknown;
  hint?: string;
}) {
  const { t } = useTranslation();
  const props = useControlProps(name, hint);
  const change = useChange(name, onChange);
  const uid = useId();
  const input = useRef<HTMLInputElement>(null);
  const [text, setText] = useState(value?.title ?? '');
  const [editing, setEditing] = useState(false);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const q = useDebounced(editing ? text.trim() : '', 200);
  const found = useQuery({
    queryKey: ['search', 'pick', name, loadKey ?? null, q],
    queryFn: ({ signal }) => load(q, signal),
    enabled: open,
    placeholderData: keepPreviousData,
    staleTime: 10_000,
  });
  const options = open ? (found.data ?? []) : [];
  useEffect(() => {
    if (!editing) setText(value?.title ?? '');
  }, [value, editing]);
  // New suggestions: the first is active.
  const optionsKey = options.map((o) => o.id).join(',');
  useEffect(() => setActive(optionsKey ? 0 : -1), [optionsKey]);
  const listId = `${uid}-list`;
  const optionId = (c: Choice) => `${uid}-opt-${c.id}`;
  const activeChoice = active >= 0 ? options[active] : undefined;
  const choose = (c: Choice) => {
    change(c);
    setText(c.title);
    setEditing(false);
    setOpen(false);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!open) return setOpen(true);
      if (!options.length) return;
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((a) => (a + step + options.length) % options.length);
    } else if (e.key === 'Enter' && open && activeChoice) {
      e.preventDefault();
      choose(activeChoice);
    } else if (e.key === 'Escape' && open) {
      // Close the list, not the dialog around it.
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
    }
  };
  const waiting = open && (found.isFetching || (editing && text.trim() !== q));
  return (
    <FieldShell name={name} label={label} hint={hint}>
      <div className="picker-box">
        <input
          {...props}
          ref={input}
          type="text"
          role="combobox"
          aria-expanded={open && options.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={open && activeChoice ? optionId(activeChoice) : undefined}
          autoComplete="off"
          placeholder={t('header.create.picker.placeholder')}
          value={text}
          data-testid={`picker-${name}`}
          onChange={(e) => {
            setText(e.target.value);
            setEditing(true);
            setOpen(true);
            if (value) change(null);
          }}
          onFocus={() => setOpen(true)}
          onClick={() => setOpen(true)}
          onBlur={() => {
            setOpen(false);
            setEditing(false);
          }}
          onKeyDown={onKeyDown}
        />
        {value && (
          <button
            type="button"
            className="icon-button picker-clear"
            aria-label={t('header.create.picker.clear', { name: value.title })}
            onClick={() => {
              change(null);
              setText('');
              input.current?.focus();
            }}
          >
            ✕
          </button>
        )}
        <div className="picker-popup" hidden={!open}>
          <div role="listbox" id={listId} aria-label={label} className="picker-list">
            {options.map((c, i) => (
              // biome-ignore lint/a11y/useKeyWithClickEvents: chosen with the field's keys (aria-activedescendant); the click is the pointer's way
              <div
                key={c.id}
                id={optionId(c)}
                role="option"
                tabIndex={-1}
                aria-selected={i === active}
                className={`search-hit${i === active ? ' active' : ''}`}
                onMouseDown={(e) => e.preventDefault()}
                onMouseMove={() => i !== active && setActive(i)}
                onClick={() => choose(c)}
              >
                <span className="hit-title">
                  <Marked text={c.title} query={q} />
                </span>
                {c.subtitle && (
                  <span className="hit-sub">
                    <Marked text={c.subtitle} query={q} />
                  </span>
                )}
              </div>
            ))}
          </div>
          {waiting && options.length === 0 && <p className="search-note muted">{t('header.create.picker.loading')}</p>}
          {!waiting && found.isError && (
            <p className="search-note error" role="alert">
              {t('header.search.error')}
            </p>
          )}
          {!waiting && !found.isError && found.isSuccess && options.length === 0 && (
            <p className="search-note muted">{t('header.create.picker.empty')}</p>
          )}
        </div>
      </div>
    </FieldShell>
  );
}
