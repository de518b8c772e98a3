import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Modal } from '../components';

/** A one-time link to pass on, with a copy button: no mail leaves this server. */
export function LinkDialog({ title, intro, path, onClose }: { title: string; intro: string; path: string; onClose: () => void }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  const link = `${window.location.origin}${path}`;
  return (
    <Modal title={title} onClose={onClose} testId="invite-link">
      <p>{intro}</p>
      <div className="invite-link-row">
        <input readOnly value={link} aria-label={title} onFocus={(e) => e.target.select()} data-testid="invite-link-value" />
        <button
          type="button"
          className="primary"
          onClick={async () => {
            await navigator.clipboard?.writeText(link).catch(() => {});
            setCopied(true);
          }}
        >
          {copied ? t('users.copied') : t('users.copy')}
        </button>
      </div>
      <p className="actions">
        <button type="button" onClick={onClose}>
          {t('users.close')}
        </button>
      </p>
    </Modal>
  );
}
