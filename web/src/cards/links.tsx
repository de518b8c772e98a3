import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api } from '../api';
import { loadContacts } from '../create/loaders';
import { type Choice, RefPicker } from '../create/picker';
import './cards.css';

export interface Related {
  kind: 'deal' | 'contact' | 'lead';
  id: number;
  title: string;
  detail: string | null;
}

/**
 * A company's contacts and deals: open each, unlink a contact (its company_id emptied, the contact
 * kept), add an existing contact with the picker.
 */
export function CompanyLinks({ companyId, related, onChanged }: { companyId: number; related: Related[]; onChanged: () => void }) {
  const { t } = useTranslation();
  const [pick, setPick] = useState<Choice | null>(null);
  const [error, setError] = useState<string | null>(null);
  const setCompany = async (contactId: number, company: number | null) => {
    setError(null);
    try {
      const c = await api<{ version: number }>(`/contacts/${contactId}`);
      await api(`/contacts/${contactId}`, { method: 'PATCH', body: { version: c.version, company_id: company } });
      onChanged();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const contacts = related.filter((r) => r.kind === 'contact');
  const deals = related.filter((r) => r.kind === 'deal');
  return (
    <>
      <section className="panel" aria-labelledby="cf-contacts-h">
        <h2 id="cf-contacts-h">
          {t('cards.links.contacts')} <span className="count">{contacts.length}</span>
        </h2>
        {contacts.length === 0 ? (
          <p className="muted">{t('cards.links.none')}</p>
        ) : (
          <ul className="cf-links" data-testid="company-contacts">
            {contacts.map((c) => (
              <li key={c.id}>
                <span>
                  <Link href={`/contacts/${c.id}`}>{c.title}</Link>
                  {c.detail && <span className="muted"> · {c.detail}</span>}
                </span>
                <button
                  type="button"
                  className="link"
                  onClick={() => void setCompany(c.id, null)}
                  aria-label={t('cards.links.unlinkOne', { name: c.title })}
                >
                  {t('cards.links.unlink')}
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="cf-link-add">
          <RefPicker name="add-contact" label={t('cards.links.addContact')} value={pick} onChange={setPick} load={loadContacts(null)} />
          <button
            type="button"
            disabled={!pick}
            onClick={async () => {
              if (!pick) return;
              await setCompany(pick.id, companyId);
              setPick(null);
            }}
          >
            {t('cards.links.add')}
          </button>
        </div>
        {error && (
          <p className="cf-error" role="alert">
            {error}
          </p>
        )}
      </section>
      <section className="panel" aria-labelledby="cf-deals-h">
        <h2 id="cf-deals-h">
          {t('cards.links.deals')} <span className="count">{deals.length}</span>
        </h2>
        {deals.length === 0 ? (
          <p className="muted">{t('cards.links.none')}</p>
        ) : (
          <ul className="cf-links">
            {deals.map((d) => (
              <li key={d.id}>
                <Link href={`/deals/${d.id}`}>{d.title}</Link>
                {d.detail && <span className="muted">{t(`status.${d.detail}`)}</span>}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
