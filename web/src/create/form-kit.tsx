import { createContext, type FormEvent, type ReactNode, useCallback, useContext, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CalendarIcon } from '../search/icons';
import { type Day, formatDay, isoDay, type Lang, parseDay } from './dates';
import { type Errors, errorsOf } from './field-errors';

/**
 * The pieces every create form is made of: a field with its label, hint and error (the error
 * next to the field, tied to it by aria-describedby and aria-invalid), and the form around them
 * with its general error and buttons. Fields are named by the API's field names (`inn`,
 * `company_id`), so the server's 400 lands next to the field it names.
 */
const FormContext = createContext<{ id: string; errors: Errors; clear: (name: string) => void }>({ id: 'f', errors: {}, clear: () => {} });

/** A field's change: its error is gone (the person is correcting it). */
export function useChange<V>(name: string, onChange: (v: V) => void) {
  const { clear } = useContext(FormContext);
  return (v: V) => {
    clear(name);
    onChange(v);
  };
}

export function useField(name: string) {
  const { id, errors } = useContext(FormContext);
  const fieldId = `${id}-${name}`;
  const error = errors[name];
  return { id: fieldId, error, errorId: `${fieldId}-error`, hintId: `${fieldId}-hint` };
}

function describedBy(...ids: (string | false | undefined)[]) {
  const s = ids.filter(Boolean).join(' ');
  return s || undefined;
}

/** The label, the control, the hint and the error of one field. */
export function FieldShell({
  name,
  label,
  hint,
  children,
  className,
  labelFor = true,
}: {
  name: string;
  label: string;
  hint?: string;
  children: ReactNode;
  className?: string;
  labelFor?: boolean;
}) {
  const f = useField(name);
  return (
    <div className={`field${className ? ` ${className}` : ''}`} data-field={name}>
      {labelFor ? (
        <label htmlFor={f.id}>{label}</label>
      ) : (
        <span className="label" id={`${f.id}-label`}>
          {label}
        </span>
      )}
      {children}
      {hint && !f.error && (
        <p className="field-hint" id={f.hintId}>
          {hint}
        </p>
      )}
      {f.error && (
        <p className="field-error" id={f.errorId}>
          {f.error}
        </p>
      )}
    </div>
  );
}

/** The aria attributes a control of the field carries. */
export function useControlProps(name: string, hint?: string) {
  const f = useField(name);
  return {
    id: f.id,
    name,
    'aria-invalid': f.error ? true : undefined,
    'aria-describedby': describedBy(f.error && f.errorId, hint && !f.error && f.hintId),
  } as const;
}

export function TextField({
  name,
  label,
  value,
  onChange,
  hint,
  type = 'text',
  inputMode,
  autoComplete = 'off',
  maxLength,
  placeholder,
  onBlur,
  after,
}: {
  name: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  hint?: string;
  type?: 'text' | 'email' | 'tel' | 'url';
  inputMode?: 'text' | 'numeric' | 'decimal' | 'email' | 'tel' | 'url';
  autoComplete?: string;
  maxLength?: number;
  placeholder?: string;
  onBlur?: () => void;
  after?: ReactNode;
}) {
  const props = useControlProps(name, hint);
  const change = useChange(name, onChange);
  return (
    <FieldShell name={name} label={label} hint={hint}>
      <input
        {...props}
        type={type}
        inputMode={inputMode}
        autoComplete={autoComplete}
        maxLength={maxLength}
        placeholder={placeholder}
        value={value}
        onChange={(e) => change(e.target.value)}
        onBlur={onBlur}
      />
      {after}
    </FieldShell>
  );
}

export function TextArea({ name, label, value, onChange }: { name: string; label: string; value: string; onChange: (v: string) => void }) {
  const props = useControlProps(name);
  const change = useChange(name, onChange);
  return (
    <FieldShell name={name} label={label}>
      <textarea {...props} rows={2} value={value} onChange={(e) => change(e.target.value)} />
    </FieldShell>
  );
}

export function SelectField<V extends string>({
  name,
  label,
  value,
  onChange,
  options,
}: {
  name: string;
  label: string;
  value: V;
  onChange: (v: V) => void;
  options: readonly { value: V; label: string }[];
}) {
  const props = useControlProps(name);
  const change = useChange(name, onChange);
  return (
    <FieldShell name={name} label={label}>
      <select {...props} value={value} onChange={(e) => change(e.target.value as V)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldShell>
  );
}

export function CheckField({
  name,
  label,
  checked,
  onChange,
}: {
  name: string;
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
}) {
  const props = useControlProps(name);
  const change = useChange(name, onChange);
  return (
    <div className="field" data-field={name}>
      <label className="check-label">
        <input {...props} type="checkbox" checked={checked} onChange={(e) => change(e.target.checked)} /> {label}
      </label>
    </div>
  );
}

/**
 * A date typed as the language writes it (дд.мм.гггг in Russian) or picked in the browser's
 * calendar: the calendar button opens a native date input kept out of sight, whose choice is
 * written back into the field in the language's format.
 */
export function DateField({
  name,
  label,
  value,
  onChange,
  lang,
}: {
  name: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  lang: Lang;
}) {
  const { t } = useTranslation();
  const props = useControlProps(name);
  const change = useChange(name, onChange);
  const native = useRef<HTMLInputElement>(null);
  const day: Day | null = parseDay(value, lang);
  return (
    <FieldShell name={name} label={label}>
      <div className="date-input">
        <input
          {...props}
          type="text"
          inputMode="numeric"
          autoComplete="off"
          placeholder={t('header.create.datePlaceholder')}
          value={value}
          onChange={(e) => change(e.target.value)}
        />
        <button
          type="button"
          className="icon-button"
          aria-label={t('header.create.pickDate')}
          onClick={() => {
            const el = native.current;
            if (!el) return;
            try {
              el.showPicker();
            } catch {
              el.focus();
            }
          }}
        >
          <CalendarIcon />
        </button>
        <input
          ref={native}
          className="native-date"
          type="date"
          tabIndex={-1}
          aria-hidden="true"
          value={day ? isoDay(day) : ''}
          onChange={(e) => {
            const picked = parseDay(e.target.value, lang);
            if (picked) change(formatDay(picked, lang));
          }}
        />
      </div>
    </FieldShell>
  );
}

/**
 * A create form: `submit` returns the problems it found itself (empty to go on) or throws what
 * the server answered; the server's field errors go next to their fields (`shown`), others to the
 * top. After a refused submit the first marked field takes the focus.
 */
export function CreateForm({
  shown,
  onSubmit,
  submitLabel,
  onCancel,
  children,
  testId,
}: {
  shown: readonly string[];
  onSubmit: () => Promise<Errors | undefined>;
  submitLabel: string;
  onCancel: () => void;
  children: ReactNode;
  testId?: string;
}) {
  const { t } = useTranslation();
  const id = useId();
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const form = useRef<HTMLFormElement>(null);
  const clear = useCallback(
    (name: string) =>
      setErrors((e) => {
        if (!(name in e)) return e;
        const { [name]: _, ...rest } = e;
        return rest;
      }),
    [],
  );
  // The first field takes the focus when the form appears (it may come after its dialog: the forms load on demand).
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, []);
  useEffect(() => {
    if (attempt === 0) return;
    const bad = form.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (bad) bad.focus();
    else form.current?.querySelector<HTMLElement>('.form-error')?.focus();
  }, [attempt]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    let found: Errors = {};
    try {
      found = (await onSubmit()) ?? {};
    } catch (err) {
      found = errorsOf(err, shown, t);
    }
    setBusy(false);
    setErrors(found);
    if (Object.keys(found).length) setAttempt((n) => n + 1);
  };
  const general = errors[''] ?? (Object.keys(errors).length ? t('header.create.fixBelow') : '');
  return (
    <FormContext.Provider value={{ id, errors, clear }}>
      <form ref={form} className="form create-form" noValidate onSubmit={submit} data-testid={testId} aria-busy={busy || undefined}>
        {general && (
          <p className="form-error" role="alert" tabIndex={-1}>
            {general}
          </p>
        )}
        {children}
        <div className="actions">
          <button type="button" onClick={onCancel}>
            {t('header.create.cancel')}
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? t('header.create.saving') : submitLabel}
          </button>
        </div>
      </form>
    </FormContext.Provider>
  );
}

/** The text of a required field, or its problem. */
export function requiredProblem(value: string, t: (k: string) => string): string | undefined {
  return value.trim() ? undefined : t('header.create.errors.required');
}
