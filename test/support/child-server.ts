import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '../../bin/voronka');

/** Where a child process keeps its data: a PGlite folder or a PostgreSQL URL. */
export interface ChildDb {
  dataDir?: string;
  databaseUrl?: string | null;
}

export function childEnv(target: ChildDb): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, LANG: 'en_US.UTF-8', VORONKA_LANG: 'en' };
  delete e.DATABASE_URL;
  delete e.VORONKA_DATA_DIR;
  if (target.databaseUrl) e.DATABASE_URL = target.databaseUrl;
  return e;
}

export const childDbArgs = (target: ChildDb): string[] => (target.databaseUrl ? [] : ['--data-dir', target.dataDir ?? '']);

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildServer {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Settles when the process is gone. */
  exited: Promise<Exit>;
  output(): string;
  /** kill -9, then wait until the process is gone. */
  kill9(): Promise<Exit>;
  /** SIGTERM (a clean stop), then wait until the process is gone. */
  stop(): Promise<Exit>;
}

/** `bin/voronka serve --port 0 --no-demo` as a child process; resolves once it listens. */
export async function startChildServer(target: ChildDb): Promise<ChildServer> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--no-demo', ...childDbArgs(target)], {
    env: childEnv(target),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const m = /Voronka is running at (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout?.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    void exited.then((e) => reject(new Error(`serve exited (${e.code ?? e.signal}) before listening:\n${out}`)));
  });
  return {
    url,
    pid: child.pid as number,
    child,
    exited,
    output: () => out,
    async kill9() {
      child.kill('SIGKILL');
      return exited;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs a `bin/voronka` command to completion. */
export function runCli(args: string[], target: ChildDb): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, ...childDbArgs(target)], { env: childEnv(target) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
