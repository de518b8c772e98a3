import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import sql from 'sql-template-tag';
import { z } from 'zod';
import { marketingGuard } from '../marketing/spend.ts';
import type { AppContext } from '../platform/context.ts';
import { inWorkspace } from '../platform/db/workspace-scope.ts';
import { AppError } from '../platform/errors.ts';
import { requestLocale } from '../platform/http/locale.ts';
import { errorResponses, principalOf } from '../platform/resource/resource-routes.ts';
import { configGuard } from '../process/pipelines.ts';
import { importReportSchema } from './bundle-format.ts';
import { importBundle } from './bundle-import.ts';
import { importSpendFile } from './marketing-files.ts';
import { importMaven } from './maven-import.ts';

/** The files each format reads, by the name the importer expects. */
export const IMPORT_FILES = {
  canonical: ['pipeline.json', 'deals.csv', 'stage_events.csv'],
  maven: ['sales_pipeline.csv', 'accounts.csv', 'products.csv', 'sales_teams.csv'],
} as const;
export type ImportFormat = keyof typeof IMPORT_FILES;
/** Files a format also reads when they are sent (kpi.md's optional bundle files). */
export const OPTIONAL_IMPORT_FILES: Record<ImportFormat, readonly string[]> = {
  canonical: ['leads.csv', 'touches.csv', 'spend.csv', 'icp.json', 'contracts.csv', 'cases.csv'],
  maven: [],
};

/** One uploaded file may be this large; an export of 300,000 deals is about 60 MB. */
export const MAX_IMPORT_FILE_BYTES = 512 * 1024 * 1024;

const importAnswer = z.object({
  format: z.enum(['canonical', 'maven']),
  report: importReportSchema,
  maven: z
    .object({
      quirks: z.record(z.string(), z.number().int()),
      agents_without_deals: z.array(z.string()),
      snapshot_date: z.string(),
    })
    .optional(),
});

/**
 * The import screen's endpoint: the files of a bundle (or of the Maven data set) uploaded to the
 * running server and imported into the caller's workspace by the same code as `bin/voronka
 * import`, all or nothing. `dry_run=true` reads, checks and merges everything, then rolls back: the
 * report of what the import would do. Only an admin or the head of sales imports.
 */
export function registerImportRoutes(app: FastifyInstance, ctx: AppContext) {
  app.register(multipart, { limits: { fileSize: MAX_IMPORT_FILE_BYTES, files: 10, fields: 8, parts: 18 } });
  app.withTypeProvider<ZodTypeProvider>().post(
    '/api/v1/imports',
    {
      schema: {
        tags: ['imports'],
        summary:
          'Import a bundle (pipeline.json, deals.csv, stage_events.csv) or the Maven CRM files into your workspace, uploaded as multipart/form-data (each file under its own name); dry_run=true checks without writing',
        consumes: ['multipart/form-data'],
        querystring: z.strictObject({
          format: z.enum(['canonical', 'maven']).default('canonical'),
          dry_run: z.enum(['true', 'false']).default('false'),
        }),
        response: { 200: importAnswer, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      configGuard(p, 'write');
      if (!req.isMultipart()) {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', {
          en: 'send the files as multipart/form-data, each under its own name (e.g. deals.csv)',
          ru: 'отправьте файлы как multipart/form-data, каждый под своим именем (например, deals.csv)',
        });
      }
      const { format, dry_run } = req.query;
      const dir = await mkdtemp(join(tmpdir(), 'voronka-upload-'));
      try {
        await receiveFiles(req, dir, format);
        const [ws] = await ctx.db.query<{ name: string }>(sql`select name from workspaces where workspace_id = ${p.workspaceId}`);
        const now = ctx.clock.now();
        const locale = requestLocale(req);
        const dryRun = dry_run === 'true';
        // import_runs names where the files came from: an upload, and by whom.
        const source = `upload by user ${p.userId}`;
        if (format === 'maven') {
          const r = await importMaven(ctx.db, dir, { workspace: ws.name, now, locale, dryRun, source });
          return {
            format,
            report: r.bundle,
            maven: { quirks: r.quirks, agents_without_deals: r.agents_without_deals, snapshot_date: r.snapshot_date },
          };
        }
        const report = await importBundle(ctx.db, dir, { workspace: ws.name, now, locale, dryRun, source });
        return { format, report };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
}

/**
 * The spend screen's upload: one CSV of `channel;month;amount` (Russian Excel's dialect and
 * Windows-1251 accepted), upserted by (channel, month) in one transaction, each change audited as
 * the caller's; a bad row stops it with the line, column and value, nothing written.
 */
export function registerSpendUploadRoute(app: FastifyInstance, ctx: AppContext) {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/api/v1/marketing-spend/import',
    {
      schema: {
        tags: ['marketing'],
        summary: 'Upload spend as a CSV (channel;month;amount), multipart/form-data with one file',
        consumes: ['multipart/form-data'],
        response: {
          200: z.object({ in_file: z.number().int(), created: z.number().int(), updated: z.number().int(), unchanged: z.number().int() }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      marketingGuard(p, 'write');
      if (!req.isMultipart())
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', {
          en: 'send the CSV as multipart/form-data',
          ru: 'отправьте CSV как multipart/form-data',
        });
      const dir = await mkdtemp(join(tmpdir(), 'voronka-spend-'));
      try {
        await receiveFiles(req, dir, 'spend');
        return await inWorkspace(ctx.db, p.workspaceId, async (tx) => {
          const [w] = await tx.query<{ timezone: string; currency: string }>(
            sql`select timezone, currency from workspaces where workspace_id = ${p.workspaceId}`,
          );
          return importSpendFile(tx, join(dir, 'spend.csv'), {
            ws: p.workspaceId,
            zone: w.timezone,
            currency: w.currency,
            now: ctx.clock.now(),
            userId: p.userId,
          });
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
}

/** The upload's files into `dir` under the names the importer expects; an unknown or missing one is refused by name. */
async function receiveFiles(req: FastifyRequest, dir: string, format: ImportFormat | 'spend') {
  const required: readonly string[] = format === 'spend' ? ['spend.csv'] : IMPORT_FILES[format];
  const wanted: readonly string[] = format === 'spend' ? required : [...required, ...OPTIONAL_IMPORT_FILES[format]];
  const got = new Set<string>();
  try {
    for await (const part of req.parts()) {
      if (part.type !== 'file') continue;
      // The field's name says which file it is; else the file's own name (a multiple-file input).
      const name =
        format === 'spend'
          ? 'spend.csv'
          : [part.fieldname, part.filename].map((n) => n.toLowerCase().trim()).find((n) => wanted.includes(n));
      if (!name) {
        part.file.resume();
        throw new AppError('VALIDATION_FAILED', {
          en: `${part.filename || part.fieldname}: not a file of this import (expected ${wanted.join(', ')})`,
          ru: `${part.filename || part.fieldname}: такой файл этот импорт не читает (нужны ${wanted.join(', ')})`,
        });
      }
      if (got.has(name)) {
        part.file.resume();
        throw new AppError('VALIDATION_FAILED', { en: `${name} was sent twice`, ru: `${name} отправлен дважды` });
      }
      got.add(name);
      await pipeline(part.file, createWriteStream(join(dir, name)));
      if (part.file.truncated) throw tooLarge(name);
    }
  } catch (e) {
    if ((e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge('');
    throw e;
  }
  const missing = required.filter((n) => !got.has(n));
  if (missing.length > 0) {
    throw new AppError('VALIDATION_FAILED', {
      en: `missing ${missing.join(', ')}: this import needs ${required.join(', ')}`,
      ru: `не хватает: ${missing.join(', ')}; для этого импорта нужны ${required.join(', ')}`,
    });
  }
}

const tooLarge = (name: string) =>
  new AppError('PAYLOAD_TOO_LARGE', {
    en: `${name ? `${name}: ` : ''}a file may be at most ${MAX_IMPORT_FILE_BYTES / 1024 / 1024} MB`,
    ru: `${name ? `${name}: ` : ''}файл может быть не больше ${MAX_IMPORT_FILE_BYTES / 1024 / 1024} МБ`,
  });
