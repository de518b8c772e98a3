import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { type Answer, ApiError, apiUpload, type Me } from '../api';
import { num } from '../format';
import './imports.css';

type Format = 'canonical' | 'maven';
type Result = Answer<'/api/v1/imports', 'post'>;

/** The files each format reads (the server's IMPORT_FILES, which refuses any other by name). */
const FILES: Record<Format, string[]> = {
  canonical: ['pipeline.json', 'deals.csv', 'stage_events.csv'],
  maven: ['sales_pipeline.csv', 'accounts.csv', 'products.csv', 'sales_teams.csv'],
};

/** Uploads the chosen files, each under its own name, to the running server's import. */
async function upload(format: Format, files: File[], dryRun: boolean): Promise<Result> {
  const body = new FormData();
  for (const f of files) body.append(f.name.toLowerCase(), f, f.name);
  return apiUpload<Result>(`/imports?format=${format}&dry_run=${dryRun}`, body);
}

/**
 * The import screen (issue 16: import while the server runs): the files of an export chosen in the
 * browser go to POST /api/v1/imports, first as a check that writes nothing, then for real. The
 * report says what was (or would be) created, updated and left; an error names file, line, column.
 */
export default function ImportPage({ me }: { me: Me }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [format, setFormat] = useState<Format>('canonical');
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState<'check' | 'run' | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const inputId = useId();
  const allowed = me.user.role === 'admin' || me.user.role === 'head_of_sales';
  const names = files.map((f) => f.name.toLowerCase());
  const missing = FILES[format].filter((n) => !names.includes(n));
  const extra = files.filter((f) => !FILES[format].includes(f.name.toLowerCase())).map((f) => f.name);

  const go = async (dryRun: boolean) => {
    setBusy(dryRun ? 'check' : 'run');
    setError(null);
    setResult(null);
    try {
      const r = await upload(
        format,
        files.filter((f) => FILES[format].includes(f.name.toLowerCase())),
        dryRun,
      );
      setResult(r);
      // Everything shown before the import may have changed.
      if (!dryRun) await qc.invalidateQueries();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'NETWORK', String(e)));
    } finally {
      setBusy(null);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void go(false);
  };

  return (
    <div className="page import-page">
      <h1>{t('imports.title')}</h1>
      <p className="import-intro">{t('imports.intro')}</p>
      {!allowed ? (
        <p className="state error" role="alert">
          {t('imports.forbidden')}
        </p>
      ) : (
        <form className="panel import-form" onSubmit={submit}>
          <fieldset>
            <legend>{t('imports.format')}</legend>
            {(['canonical', 'maven'] as const).map((f) => (
              <label key={f} className="check-label">
                <input
                  type="radio"
                  name="format"
                  value={f}
                  checked={format === f}
                  onChange={() => {
                    setFormat(f);
                    setResult(null);
                    setError(null);
                  }}
                />{' '}
                {t(`imports.${f}`)}
              </label>
            ))}
          </fieldset>
          <div className="field">
            <label htmlFor={inputId}>{t('imports.files')}</label>
            <input
              id={inputId}
              type="file"
              multiple
              accept=".csv,.json,text/csv,application/json"
              aria-describedby={`${inputId}-hint`}
              onChange={(e) => {
                setFiles(Array.from(e.target.files ?? []));
                setResult(null);
                setError(null);
              }}
            />
            <p id={`${inputId}-hint`} className="hint">
              {t('imports.filesHint')} {t('imports.columns')}
            </p>
            <p className="hint" data-testid="import-needed">
              {missing.length > 0
                ? t('imports.missing', { files: missing.join(', ') })
                : t('imports.needed', { files: FILES[format].join(', ') })}
            </p>
            {extra.length > 0 && <p className="hint">{t('imports.extra', { files: extra.join(', ') })}</p>}
          </div>
          <div className="actions">
            <button type="button" disabled={missing.length > 0 || busy !== null} onClick={() => void go(true)}>
              {busy === 'check' ? t('imports.checking') : t('imports.check')}
            </button>
            <button type="submit" className="primary" disabled={missing.length > 0 || busy !== null}>
              {busy === 'run' ? t('imports.running') : t('imports.run')}
            </button>
          </div>
        </form>
      )}
      <div aria-live="polite">
        {error && (
          <div className="panel import-error" role="alert" data-testid="import-error">
            <h2>{t('imports.failed')}</h2>
            <p>{error.message}</p>
          </div>
        )}
        {result && <ImportReportView result={result} />}
      </div>
    </div>
  );
}

function ImportReportView({ result }: { result: Result }) {
  const { t } = useTranslation();
  const r = result.report;
  const rows: [string, string | number][] = [
    [t('imports.report.workspace'), r.workspace],
    [t('imports.report.pipeline'), r.pipeline_created ? t('imports.report.pipelineNew', { name: r.pipeline }) : r.pipeline],
    [t('imports.report.dealsInFile'), r.deals_in_file],
    [t('imports.report.dealsCreated'), r.deals_created],
    [t('imports.report.dealsUpdated'), r.deals_updated],
    [t('imports.report.dealsUnchanged'), r.deals_unchanged],
    [t('imports.report.entriesInFile'), r.stage_entries_in_file],
    [t('imports.report.entriesAdded'), r.stage_entries_added],
    [t('imports.report.entriesPresent'), r.stage_entries_already_present],
  ];
  const optional: [string, number | string[]][] = [
    [t('imports.report.emptyAmounts'), r.empty_amounts_as_zero],
    [t('imports.report.createdDiffers'), r.created_at_differs_from_first_entry],
    [t('imports.report.duplicates'), r.identical_duplicate_deal_rows + r.identical_duplicate_stage_rows],
    [t('imports.report.newCompanies'), r.new_companies],
    [t('imports.report.newOwners'), r.new_owners],
    [t('imports.report.newSegments'), r.new_segments],
    [t('imports.report.newChannels'), r.new_channels],
    [t('imports.report.ignored'), r.ignored_columns],
  ];
  for (const [label, v] of optional) {
    if (Array.isArray(v) ? v.length > 0 : v > 0) rows.push([label, Array.isArray(v) ? v.join(', ') : v]);
  }
  if (r.encodings) {
    rows.push([
      t('imports.report.encodings'),
      Object.entries(r.encodings)
        .map(([f, e]) => `${f}: ${e}`)
        .join(', '),
    ]);
  }
  if (result.maven) rows.push([t('imports.report.snapshot'), result.maven.snapshot_date]);
  const headline = r.dry_run
    ? t('imports.dryRunDone')
    : r.changed
      ? t('imports.done', { seconds: num(r.seconds, 1) })
      : t('imports.nothingChanged');
  return (
    <section className="panel import-report" data-testid="import-report">
      <h2>{headline}</h2>
      <dl className="fields">
        {rows.map(([label, v]) => (
          <div key={label} className="field-row">
            <dt>{label}</dt>
            <dd>{typeof v === 'number' ? num(v) : v}</dd>
          </div>
        ))}
      </dl>
      {result.maven && (
        <>
          <h3>{t('imports.report.quirks')}</h3>
          <dl className="fields">
            {Object.entries(result.maven.quirks).map(([k, v]) => (
              <div key={k} className="field-row">
                <dt>{k}</dt>
                <dd>{num(v)}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
      {!r.dry_run && r.changed && (
        <p className="actions">
          <Link href="/dashboard">{t('imports.openFunnel')}</Link> · <Link href="/deals">{t('imports.openDeals')}</Link>
        </p>
      )}
    </section>
  );
}
