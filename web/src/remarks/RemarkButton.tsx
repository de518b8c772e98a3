import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, ApiError, api, type RequestBody } from '../api';
import { Modal } from '../components';
import { showToast } from '../create/toast';
import './remarks.css';

export type RemarkObject = 'deal' | 'company' | 'contact' | 'lead';
export type RemarkField = Answer<'/api/v1/remarks/fields', 'get'>['items'][number];

const MAX = 2000;

/** The fields of a card a remark may name (its standard ones, then its custom ones), shared by the button and the remarks tab. */
export function useRemarkFields(object: RemarkObject | null, enabled = true) {
  return useQuery({
    queryKey: ['remark-fields', object],
    queryFn: () => api<Answer<'/api/v1/remarks/fields', 'get'>>(`/remarks/fields?object=${object}`),
    enabled: enabled && object !== null,
    staleTime: 60_000,
  });
}

/**
 * «Замечание к стандарту» on a card: a dialog with the card's fields (optional) and the text, sent
 * in one more click; a toast confirms it and leads to one's remarks. The deal card passes the stage
 * it shows, which the remark keeps.
 */
export function RemarkButton({ object, recordId, stageId }: { object: RemarkObject; recordId: number; stageId?: number | null }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="remark-button" onClick={() => setOpen(true)} data-testid="remark-button">
        <span aria-hidden="true">✎</span> {t('remarks.button')}
      </button>
      {open && <RemarkDialog object={object} recordId={recordId} stageId={stageId ?? null} onClose={() => setOpen(false)} />}
    </>
  );
}

function RemarkDialog({
  object,
  recordId,
  stageId,
  onClose,
}: {
  object: RemarkObject;
  recordId: number;
  stageId: number | null;
  onClose: () => void;
}) {
  const { t, i18n } = useTranslation();
  const ru = i18n.language === 'ru';
  const qc = useQueryClient();
  const id = useId();
  const fields = useRemarkFields(object);
  const [field, setField] = useState('');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (text.trim() === '') {
      setErrors({ text: t('remarks.dialog.required') });
      return;
    }
    setBusy(true);
    setErrors({});
    setMessage(null);
    try {
      const body: RequestBody<'/api/v1/remarks', 'post'> = {
        object_type: object,
        record_id: recordId,
        field: field || null,
        text: text.trim(),
        ...(object === 'deal' && stageId !== null ? { stage_id: stageId } : {}),
      };
      await api('/remarks', { method: 'POST', body });
      void qc.invalidateQueries({ queryKey: ['remarks'] });
      void qc.invalidateQueries({ queryKey: ['field-usage'] });
      onClose();
      showToast({ message: t('remarks.dialog.sent'), href: '/standard/remarks' });
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.fields.length > 0)
        setErrors(Object.fromEntries(err.fields.map((f) => [f.field === 'field' ? 'field' : 'text', f.message])));
      else setMessage(err instanceof Error ? err.message : String(err));
    }
  };

  const left = MAX - text.length;
  return (
    <Modal title={t('remarks.dialog.title')} onClose={onClose} sheet initialFocus="textarea" testId="remark-dialog">
      <form className="form remark-form" onSubmit={(e) => void submit(e)} noValidate>
        <p className="muted remark-intro">{t('remarks.dialog.intro')}</p>
        <div className="field">
          <label htmlFor={`${id}-field`}>{t('remarks.dialog.field')}</label>
          <select
            id={`${id}-field`}
            value={field}
            onChange={(e) => setField(e.target.value)}
            aria-invalid={errors.field ? true : undefined}
            aria-describedby={errors.field ? `${id}-field-error` : undefined}
            data-testid="remark-field"
          >
            <option value="">{t('remarks.dialog.wholeCard')}</option>
            {(fields.data?.items ?? []).map((f) => (
              <option key={f.field} value={f.field}>
                {ru ? f.label_ru : f.label_en}
              </option>
            ))}
          </select>
          {errors.field && (
            <span className="bad small" id={`${id}-field-error`}>
              {errors.field}
            </span>
          )}
        </div>
        <div className="field">
          <label htmlFor={`${id}-text`}>{t('remarks.dialog.text')}</label>
          <textarea
            id={`${id}-text`}
            value={text}
            rows={4}
            maxLength={MAX}
            placeholder={t('remarks.dialog.placeholder')}
            onChange={(e) => setText(e.target.value)}
            aria-invalid={errors.text ? true : undefined}
            aria-describedby={`${id}-left${errors.text ? ` ${id}-text-error` : ''}`}
            data-testid="remark-text"
          />
          {errors.text && (
            <span className="bad small" id={`${id}-text-error`}>
              {errors.text}
            </span>
          )}
          <span className="muted small remark-left" id={`${id}-left`}>
            {t('remarks.dialog.left', { count: left })}
          </span>
        </div>
        {message && (
          <p className="bad" role="alert">
            {message}
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={onClose}>
            {t('remarks.dialog.cancel')}
          </button>
          <button type="submit" className="primary" disabled={busy} data-testid="remark-send">
            {t('remarks.dialog.send')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
