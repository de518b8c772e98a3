import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation } from 'wouter';
import { parseAmount } from '../../../src/platform/money';
import { ApiError, api } from '../api';
import { Dialog } from '../create/dialog';
import { DuplicateWarning, useDuplicates } from '../create/duplicates';
import { loadCompanies, loadContacts } from '../create/loaders';
import { type Choice, RefPicker } from '../create/picker';
import { showToast } from '../create/toast';
import './cards.css';

interface Lead {
  id: number;
  version: number;
  title: string;
  company_name?: string | null;
  contact_name?: string | null;
  email?: string | null;
  phone?: string | null;
}

/**
 * «Конвертировать в сделку»: the lead's company and contact, prefilled from it (or existing ones
 * picked), and the deal; one request (POST /leads/:id/convert), then the new deal opens.
 * Duplicates (the same INN, the same e-mail) are warned about as the "+" warns.
 */
export function ConvertDialog({ lead, currency, onClose }: { lead: Lead; currency: string; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const [, navigate] = useLocation();
  const [companyMode, setCompanyMode] = useState<'new' | 'pick'>('new');
  const [companyName, setCompanyName] = useState(lead.company_name ?? '');
  const [inn, setInn] = useState('');
  const [company, setCompany] = useState<Choice | null>(null);
  const [contactMode, setContactMode] = useState<'new' | 'pick' | 'none'>(lead.contact_name ? 'new' : 'none');
  const [contactName, setContactName] = useState(lead.contact_name ?? '');
  const [email, setEmail] = useState(lead.email ?? '');
  const [phone, setPhone] = useState(lead.phone ?? '');
  const [contact, setContact] = useState<Choice | null>(null);
  const [title, setTitle] = useState(lead.title);
  const [amount, setAmount] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const innDup = useDuplicates('inn', companyMode === 'new' ? inn : '');
  const emailDup = useDuplicates('email', contactMode === 'new' ? email : '');
  const submit = async () => {
    setError(null);
    let amountMinor: number | undefined;
    if (amount.trim()) {
      const p = parseAmount(amount, currency, i18n.language);
      if (!p.ok) return setError(`${t('cards.convert.amount')}: ${t('cards.badAmount')}`);
      amountMinor = p.minor;
    }
    if (companyMode === 'pick' && !company) return setError(t('cards.convert.pickCompany'));
    if (contactMode === 'pick' && !contact) return setError(t('cards.convert.pickContact'));
    const body = {
      version: lead.version,
      company:
        companyMode === 'pick' && company ? { id: company.id } : { name: companyName.trim(), ...(inn.trim() ? { inn: inn.trim() } : {}) },
      contact:
        contactMode === 'none'
          ? null
          : contactMode === 'pick' && contact
            ? { id: contact.id }
            : {
                name: contactName.trim(),
                ...(email.trim() ? { email: email.trim() } : {}),
                ...(phone.trim() ? { phone: phone.trim() } : {}),
              },
      deal: { title: title.trim(), ...(amountMinor !== undefined ? { amount_minor: amountMinor } : {}) },
    };
    setBusy(true);
    try {
      const r = await api<{ deal: { id: number; title: string } }>(`/leads/${lead.id}/convert`, { method: 'POST', body });
      showToast({ message: t('cards.convert.done', { title: r.deal.title }), href: `/deals/${r.deal.id}` });
      onClose();
      navigate(`/deals/${r.deal.id}`);
    } catch (e) {
      setError(
        e instanceof ApiError && e.fields.length
          ? e.fields.map((f) => `${f.field}: ${f.message}`).join('; ')
          : String((e as Error).message),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={t('cards.convert.title')} onClose={onClose} testId="convert-dialog">
      <form
        className="cf-convert"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <fieldset>
          <legend>{t('cards.convert.company')}</legend>
          <div className="cf-modes">
            <label>
              <input type="radio" name="company-mode" checked={companyMode === 'new'} onChange={() => setCompanyMode('new')} />
              {t('cards.convert.createNew')}
            </label>
            <label>
              <input type="radio" name="company-mode" checked={companyMode === 'pick'} onChange={() => setCompanyMode('pick')} />
              {t('cards.convert.pickExisting')}
            </label>
          </div>
          {companyMode === 'new' ? (
            <>
              <div className="field">
                <label htmlFor="cv-company">{t('cards.convert.companyName')}</label>
                <input id="cv-company" required value={companyName} onChange={(e) => setCompanyName(e.target.value)} maxLength={300} />
              </div>
              <div className="field">
                <label htmlFor="cv-inn">{t('cards.field.inn')}</label>
                <input id="cv-inn" inputMode="numeric" value={inn} onChange={(e) => setInn(e.target.value)} maxLength={12} />
                <DuplicateWarning hits={innDup} by="inn" onOpen={onClose} />
              </div>
            </>
          ) : (
            <RefPicker
              name="cv-company-pick"
              label={t('cards.convert.company')}
              value={company}
              onChange={setCompany}
              load={loadCompanies}
            />
          )}
        </fieldset>
        <fieldset>
          <legend>{t('cards.convert.contact')}</legend>
          <div className="cf-modes">
            <label>
              <input type="radio" name="contact-mode" checked={contactMode === 'new'} onChange={() => setContactMode('new')} />
              {t('cards.convert.createNewContact')}
            </label>
            <label>
              <input type="radio" name="contact-mode" checked={contactMode === 'pick'} onChange={() => setContactMode('pick')} />
              {t('cards.convert.pickExistingContact')}
            </label>
            <label>
              <input type="radio" name="contact-mode" checked={contactMode === 'none'} onChange={() => setContactMode('none')} />
              {t('cards.convert.noContact')}
            </label>
          </div>
          {contactMode === 'new' && (
            <>
              <div className="field">
                <label htmlFor="cv-contact">{t('cards.convert.contactName')}</label>
                <input id="cv-contact" required value={contactName} onChange={(e) => setContactName(e.target.value)} maxLength={300} />
              </div>
              <div className="field">
                <label htmlFor="cv-email">{t('cards.field.email')}</label>
                <input id="cv-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} maxLength={320} />
                <DuplicateWarning hits={emailDup} by="email" onOpen={onClose} />
              </div>
              <div className="field">
                <label htmlFor="cv-phone">{t('cards.field.phone')}</label>
                <input id="cv-phone" type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} maxLength={50} />
              </div>
            </>
          )}
          {contactMode === 'pick' && (
            <RefPicker
              name="cv-contact-pick"
              label={t('cards.convert.contact')}
              value={contact}
              onChange={setContact}
              load={loadContacts(companyMode === 'pick' ? (company?.id ?? null) : null)}
              loadKey={company?.id ?? null}
            />
          )}
        </fieldset>
        <fieldset>
          <legend>{t('cards.convert.deal')}</legend>
          <div className="field">
            <label htmlFor="cv-title">{t('cards.convert.dealTitle')}</label>
            <input id="cv-title" required value={title} onChange={(e) => setTitle(e.target.value)} maxLength={300} />
          </div>
          <div className="field">
            <label htmlFor="cv-amount">{t('cards.convert.amount')}</label>
            <input
              id="cv-amount"
              inputMode="decimal"
              placeholder="1 234 567,89"
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
            />
          </div>
        </fieldset>
        {error && (
          <p className="cf-error" role="alert">
            {error}
          </p>
        )}
        <div className="cf-actions">
          <button type="submit" className="primary" disabled={busy} data-testid="convert-submit">
            {t('cards.convert.submit')}
          </button>
          <button type="button" onClick={onClose}>
            {t('cards.cancel')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
