import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, ApiError, api, apiUpload, type FieldError, type Me } from '../api';
import { useNamed } from '../cards/specs';
import { Empty, ErrorState, Loading } from '../components';
import { isoDay, majorMoney, monthLabel } from '../format';
import { TableRegion } from '../report/tables';
import { useTimeZone } from '../time/use-time-zone';

type Spend = Answer<'/api/v1/marketing-spend', 'get'>;
type Uploaded = Answer<'/api/v1/marketing-spend/import', 'post'>;

const month = (iso: string) => iso.slice(0, 7);
function shiftMonth(key: string, by: number): string {
  const [y, m] = key.split('-').map(Number);
  const d = new Date(Date.UTC(y, m - 1 + by, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Spend per channel and month: entered (upserted by channel and month), removed, uploaded as a CSV; the last 12 months shown. */
export default function SpendPage({ me, editable }: { me: Me; editable: boolean }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const tz = useTimeZone(me);
  const thisMonth = month(isoDay(tz));
  const [from, setFrom] = useState(shiftMonth(thisMonth, -11));
  const [to, setTo] = useState(thisMonth);
  const spend = useQuery({
    queryKey: ['spend', from, to],
    queryFn: () => api<Spend>(`/marketing-spend?from=${from}&to=${to}`),
  });
  const channels = useNamed('channels');
  const [channel, setChannel] = useState('');
  const [entryMonth, setEntryMonth] = useState(thisMonth);
  const [amount, setAmount] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [status, setStatus] = useState('');
  const refresh = () => qc.invalidateQueries({ queryKey: ['spend'] });
  const save = useMutation({
    mutationFn: () =>
      api('/marketing-spend', { method: 'PUT', body: { entries: [{ channel: Number(channel) || channel, month: entryMonth, amount }] } }),
    onSuccess: () => {
      setErrors([]);
      setAmount('');
      setStatus(t('mkt.spend.saved'));
      void refresh();
    },
    onError: (e) => {
      setStatus('');
      setErrors(e instanceof ApiError ? (e.fields.length ? e.fields : [{ field: '', message: e.message }]) : []);
    },
  });
  const remove = useMutation({
    mutationFn: (x: { channel: number; month: string }) =>
      api(`/marketing-spend?channel=${x.channel}&month=${x.month}`, { method: 'DELETE' }),
    onSuccess: () => {
      setStatus(t('mkt.spend.removed'));
      void refresh();
    },
  });
  const file = useRef<HTMLInputElement>(null);
  const upload = useMutation({
    mutationFn: async (f: File) => {
      const form = new FormData();
      form.append('spend.csv', f, f.name);
      return apiUpload<Uploaded>('/marketing-spend/import', form);
    },
    onSuccess: (r) => {
      setErrors([]);
      setStatus(t('mkt.spend.imported', { created: r.created, updated: r.updated, unchanged: r.unchanged }));
      void refresh();
    },
    onError: (e) => {
      setStatus('');
      setErrors([{ field: '', message: e instanceof Error ? e.message : String(e) }]);
    },
  });
  const errorOf = (f: string) => errors.find((e) => e.field.endsWith(f))?.message;
  const general = errors.filter((e) => !['channel', 'month', 'amount'].some((f) => e.field.endsWith(f)));
  const cur = spend.data?.currency ?? me.workspace.currency;
  const total = (spend.data?.items ?? []).reduce((s, x) => s + x.amount, 0);
  return (
    <div className="page" data-testid="spend-page">
      <p className="muted intro">{t('mkt.spend.intro')}</p>
      {editable ? (
        <section className="panel" aria-labelledby="spend-entry-h">
          <h2 id="spend-entry-h">{t('mkt.tabs.spend')}</h2>
          <form
            className="spend-form"
            onSubmit={(e) => {
              e.preventDefault();
              save.mutate();
            }}
          >
            <label>
              {t('mkt.spend.channel')}
              <select
                value={channel}
                onChange={(e) => setChannel(e.target.value)}
                required
                aria-invalid={errorOf('channel') ? true : undefined}
                data-testid="spend-channel"
              >
                <option value="" />
                {(channels.data?.items ?? []).map((c) => (
                  <option key={c.id} value={String(c.id)}>
                    {c.name}
                  </option>
                ))}
              </select>
              {errorOf('channel') && <span className="field-error">{errorOf('channel')}</span>}
            </label>
            <label>
              {t('mkt.spend.month')}
              <input
                type="month"
                value={entryMonth}
                onChange={(e) => setEntryMonth(e.target.value)}
                required
                aria-invalid={errorOf('month') ? true : undefined}
                data-testid="spend-month"
              />
              {errorOf('month') && <span className="field-error">{errorOf('month')}</span>}
            </label>
            <label>
              {t('mkt.spend.amount')}, {cur}
              <input
                inputMode="decimal"
                value={amount}
                onChange={(e) => setAmount(e.target.value)}
                required
                aria-invalid={errorOf('amount') ? true : undefined}
                data-testid="spend-amount"
              />
              {errorOf('amount') && <span className="field-error">{errorOf('amount')}</span>}
            </label>
            <button type="submit" className="primary" disabled={save.isPending} data-testid="spend-save">
              {t('mkt.spend.add')}
            </button>
            <label className="upload">
              {t('mkt.spend.import')}
              <input
                ref={file}
                type="file"
                accept=".csv,text/csv"
                data-testid="spend-file"
                onChange={(e) => {
                  const f = e.target.files?.[0];
                  if (f) upload.mutate(f);
                  e.target.value = '';
                }}
              />
            </label>
          </form>
          <p className="muted small">{t('mkt.spend.importHint')}</p>
          {general.map((e) => (
            <p key={e.message} className="field-error" role="alert">
              {e.message}
            </p>
          ))}
          <p role="status" className="muted" data-testid="spend-status">
            {status}
          </p>
        </section>
      ) : (
        <p className="muted">{t('mkt.spend.readOnly')}</p>
      )}
      <div className="filters">
        <label>
          {t('mkt.spend.from')} <input type="month" value={from} onChange={(e) => e.target.value && setFrom(e.target.value)} />
        </label>
        <label>
          {t('mkt.spend.to')} <input type="month" value={to} onChange={(e) => e.target.value && setTo(e.target.value)} />
        </label>
      </div>
      {spend.isPending ? (
        <Loading />
      ) : spend.isError ? (
        <ErrorState error={spend.error} retry={() => spend.refetch()} />
      ) : spend.data.items.length === 0 ? (
        <Empty>{t('mkt.spend.empty')}</Empty>
      ) : (
        <TableRegion label={t('mkt.tableRegion')}>
          <table className="table" data-testid="spend-table">
            <thead>
              <tr>
                <th scope="col">{t('mkt.spend.month')}</th>
                <th scope="col">{t('mkt.spend.channel')}</th>
                <th scope="col" className="num">
                  {t('mkt.spend.amount')}
                </th>
                {editable && <th scope="col" aria-label={t('mkt.spend.remove')} />}
              </tr>
            </thead>
            <tbody>
              {spend.data.items.map((s) => (
                <tr key={`${s.channel_id}-${s.month}`}>
                  <td>{monthLabel(s.month)}</td>
                  <td>{s.channel}</td>
                  <td className="num">{majorMoney(s.amount, cur)}</td>
                  {editable && (
                    <td>
                      <button
                        type="button"
                        className="link"
                        onClick={() => remove.mutate({ channel: s.channel_id, month: s.month })}
                        aria-label={`${t('mkt.spend.remove')}: ${s.channel}, ${monthLabel(s.month)}`}
                      >
                        {t('mkt.spend.remove')}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
              <tr className="total">
                <td colSpan={2}>{t('mkt.spend.total')}</td>
                <td className="num" data-testid="spend-total">
                  {majorMoney(total, cur)}
                </td>
                {editable && <td />}
              </tr>
            </tbody>
          </table>
        </TableRegion>
      )}
    </div>
  );
}
