import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_BACKEND } from './helpers.js';
import { scratchPostgres } from './scratchDb.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = path.join(ROOT, 'src', 'cli', 'main.ts');

/** The environment a user would start Tuco with: none of this test process's Tuco settings. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(TUCO_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$)/.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

export interface EmptyStore {
  /** TUCO_DATA_DIR, plus DATABASE_URL when the suite runs on PostgreSQL. */
  env: Record<string, string>;
  dataDir: string;
  drop(): Promise<void>;
}

/** A store nobody has touched yet: an empty data dir, or a new empty PostgreSQL database. */
export async function emptyStore(): Promise<EmptyStore> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tuco-cli-'));
  if (TEST_BACKEND === 'sqlite') {
    return { env: { TUCO_DATA_DIR: dataDir }, dataDir, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const adminUrl = process.env.TUCO_TEST_PG_URL;
  if (!adminUrl) throw new Error('TUCO_TEST_DB=postgres needs TUCO_TEST_PG_URL');
  const scratch = await scratchPostgres(adminUrl, 'tuco_p');
  return {
    env: { TUCO_DATA_DIR: dataDir, DATABASE_URL: scratch.url },
    dataDir,
    async drop() {
      await scratch.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tuco <args>` as a user would, to completion. */
export function tuco(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(TSX, [CLI, ...args], { cwd: ROOT, env: cleanEnv(env), timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Served {
  url: string;
  /** Everything the process printed to stdout up to and including its start-up banner. */
  banner: string;
  /** The key printed on first start, if any. */
  firstKey: string | null;
  child: ChildProcess;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `tuco serve` on a free port and waits for its banner. */
export function serve(env: Record<string, string>): Promise<Served> {
  const child = spawn(TSX, [CLI, 'serve'], { cwd: ROOT, env: cleanEnv({ PORT: '0', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      // The banner ends with the OpenAPI line.
      const m = /API description: (http:\/\/[^\s]+)\/openapi\.json/.exec(out);
      if (!m) return;
      const key = /Your first API key[^\n]*\n\s*(tuco_sk_\S+)/.exec(out);
      resolve({
        url: m[1],
        banner: out,
        firstKey: key ? key[1] : null,
        child,
        async stop() {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => reject(new Error(`tuco serve exited with ${code} before it was ready:\n${out}\n${err}`)));
  });
}

/** A fetch-based call with an optional bearer key. */
export async function http(url: string, key?: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { ...init, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(init.headers as Record<string, string>) } });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}

export interface NodeServer {
  child: ChildProcess;
  /** What it printed up to its banner (or until it exited). */
  out: string;
  /** Its base URL; null for a worker, or when it exited before serving. */
  url: string | null;
  /** The exit code when it stopped before it was up. */
  code?: number | null;
}

/**
 * Starts `tuco serve <args>` as Node itself with tsx's loader (no wrapper process, so SIGKILL
 * reaches the server) and resolves once its banner is printed, or with its exit code if it stops.
 * `env` is the whole environment of the process besides PATH and HOME. Kill it when done.
 */
export function serveNode(args: string[], env: Record<string, string>): Promise<NodeServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve) => {
    const onData = (d: Buffer) => {
      out += d;
      const url = /API description: (http:\/\/\S+)\/openapi\.json/.exec(out);
      if (url) resolve({ child, out, url: url[1] });
      else if (/worker only, no HTTP/.test(out)) resolve({ child, out, url: null });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => resolve({ child, out, url: null, code }));
  });
}
