// @ts-check
// PGlite runs a query to completion without yielding to the event loop, so it
// lives in its own thread: the HTTP thread keeps answering while a report runs.
// The protocol is deliberately tiny; ordering and transactions are the job of
// the main-thread side (pglite-db.ts), which serialises access with a mutex.

import { openAsBlob } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

if (!parentPort) throw new Error('pglite-worker must run in a worker thread');
const port = parentPort;

/** @param {unknown} e */
function serialiseError(e) {
  const err = /** @type {any} */ (e);
  return {
    message: String(err?.message ?? e),
    code: err?.code,
    detail: err?.detail,
    constraint: err?.constraint,
    column: err?.column,
    table: err?.table,
    where: err?.where,
  };
}

/**
 * Parameters go to PGlite as text the way node-postgres sends them to a server: a Date as its ISO
 * time, anything else as `String(v)`, for the database to parse. PGlite's own serializers for
 * times and booleans convert in JavaScript instead — a number as milliseconds since 1970, and
 * `1e308` or `true` for a time as a RangeError or a plain Error without a SQLSTATE, which the error
 * handler could only answer as a 500 (issue 14.6) where the server answers 22007 (a 400). Here the
 * database says what a value cannot be, with the same SQLSTATE on both engines.
 * @param {unknown} v
 */
const asText = (v) => (v instanceof Date ? v.toISOString() : String(v));
/** @param {unknown} v */
const boolAsText = (v) => (typeof v === 'boolean' ? (v ? 't' : 'f') : String(v));
const textSerializers = {
  [types.TIMESTAMPTZ]: asText,
  [types.TIMESTAMP]: asText,
  [types.DATE]: asText,
  [types.TIME]: asText,
  [types.TIMETZ]: asText,
  [types.BOOL]: boolAsText,
};

/** @type {import('@electric-sql/pglite').PGlite} */
let db;
try {
  const { dataDir, loadFrom } = workerData;
  const loadDataDir = loadFrom ? new Blob([await readFile(loadFrom)]) : undefined;
  db = await PGlite.create({
    dataDir: dataDir ?? 'memory://',
    loadDataDir,
    parsers: {
      [types.INT8]: (v) => Number(v),
      [types.NUMERIC]: (v) => Number(v),
    },
    serializers: textSerializers,
    // Trigram indexes of the global search (migration 0012).
    extensions: { pg_trgm },
  });
  port.postMessage({ id: 0, ok: true });
} catch (e) {
  port.postMessage({ id: 0, ok: false, error: serialiseError(e) });
}

/** @type {Map<string, () => Promise<void>>} */
const listeners = new Map();

port.on('message', async (msg) => {
  try {
    switch (msg.op) {
      case 'query': {
        const res = await db.query(msg.text, msg.values);
        port.postMessage({
          id: msg.id,
          ok: true,
          rows: res.rows,
          affected: res.affectedRows ?? 0,
        });
        break;
      }
      case 'exec': {
        await db.exec(msg.text);
        port.postMessage({ id: msg.id, ok: true });
        break;
      }
      case 'copy': {
        // PGlite reads COPY … FROM '/dev/blob' from the blob passed with the query. A file-backed
        // blob: the file is read once, by PGlite, instead of also into a buffer and a copy of it.
        const file = await openAsBlob(msg.path);
        const blob = msg.end === undefined ? file : file.slice(0, msg.end + 1);
        const res = await db.query(msg.text.replace(/from\s+stdin/i, "from '/dev/blob'"), [], { blob });
        port.postMessage({ id: msg.id, ok: true, affected: res.affectedRows ?? 0 });
        break;
      }
      case 'copyTo': {
        // COPY … TO '/dev/blob' hands the output back as a blob (a backup chunk).
        const res = await db.query(msg.text, [], {});
        const bytes = res.blob ? new Uint8Array(await res.blob.arrayBuffer()) : new Uint8Array(0);
        port.postMessage({ id: msg.id, ok: true, bytes, affected: res.affectedRows ?? 0 }, [bytes.buffer]);
        break;
      }
      case 'dump': {
        const blob = await db.dumpDataDir('none');
        await writeFile(msg.path, Buffer.from(await blob.arrayBuffer()));
        port.postMessage({ id: msg.id, ok: true });
        break;
      }
      case 'listen': {
        // Notifications of this one session, after COMMIT (PGlite delivers them to its listeners).
        if (!listeners.has(msg.channel)) {
          const stop = await db.listen(msg.channel, (payload) => port.postMessage({ id: -1, channel: msg.channel, payload }));
          listeners.set(msg.channel, stop);
        }
        port.postMessage({ id: msg.id, ok: true });
        break;
      }
      case 'unlisten': {
        const stop = listeners.get(msg.channel);
        listeners.delete(msg.channel);
        if (stop) await stop();
        port.postMessage({ id: msg.id, ok: true });
        break;
      }
      case 'close': {
        await db.close();
        port.postMessage({ id: msg.id, ok: true });
        break;
      }
      default:
        port.postMessage({
          id: msg.id,
          ok: false,
          error: { message: `unknown op ${msg.op}` },
        });
    }
  } catch (e) {
    port.postMessage({ id: msg.id, ok: false, error: serialiseError(e) });
  }
});
