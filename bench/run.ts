/**
 * npm run bench [-- --quick] [-- --only <name>]
 *
 * Runs every bench/<name>.ts that default-exports a Bench, on SQLite and on PostgreSQL, and prints
 * each figure beside its baseline with the ratio. PostgreSQL is TUCO_BENCH_PG_URL when set (a
 * superuser URL; each bench creates and drops its own databases), otherwise a throwaway server
 * started here from the machine's PostgreSQL binaries, as scripts/test.sh does, and removed after.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, BenchContext, Figure } from './types.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NOT_BENCHES = new Set(['run.ts', 'types.ts']);

interface Args {
  quick: boolean;
  only: string[];
  backends: BenchContext['backend'][];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: [], backends: ['sqlite', 'postgres'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--only') args.only.push(argv[++i] ?? '');
    else if (a.startsWith('--only=')) args.only.push(a.slice('--only='.length));
    else if (a === '--backend') args.backends = [argv[++i] as BenchContext['backend']];
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run bench -- [--quick] [--only <name>]… [--backend sqlite|postgres]\n');
      process.exit(0);
    } else {
      process.stderr.write(`Unknown argument ${a}; try --help\n`);
      process.exit(2);
    }
  }
  return args;
}

/** bench/*.ts modules whose default export is a function (a Bench). */
async function findBenches(only: string[]): Promise<{ name: string; run: Bench }[]> {
  const files = fs
    .readdirSync(HERE)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !NOT_BENCHES.has(f))
    .sort();
  const found: { name: string; run: Bench }[] = [];
  for (const file of files) {
    const name = file.replace(/\.ts$/, '');
    if (only.length && !only.includes(name)) continue;
    const mod = (await import(pathToFileURL(path.join(HERE, file)).href)) as { default?: unknown };
    if (typeof mod.default === 'function') found.push({ name, run: mod.default as Bench });
  }
  const missing = only.filter((n) => !found.some((b) => b.name === n));
  if (missing.length) {
    process.stderr.write(`No bench named ${missing.join(', ')} (have: ${found.map((b) => b.name).join(', ') || 'none'})\n`);
    process.exit(2);
  }
  return found;
}

/** A throwaway PostgreSQL on a free loopback port, started the way scripts/test.sh starts one. */
interface ThrowawayPg {
  url: string;
  stop(): void;
}

function findPgBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (fs.existsSync(root)) {
    for (const v of fs.readdirSync(root).sort()) {
      const bin = path.join(root, v, 'bin');
      if (fs.existsSync(path.join(bin, 'initdb'))) return bin;
    }
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  return which.status === 0 ? path.dirname(which.stdout.trim()) : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function startThrowawayPg(): Promise<ThrowawayPg> {
  const bin = findPgBin();
  if (!bin) throw new Error('PostgreSQL binaries not found: install PostgreSQL 15 (apt-get install postgresql-15) or set TUCO_BENCH_PG_URL');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tuco-bench-pg.'));
  fs.chmodSync(work, 0o755);
  const isRoot = process.getuid?.() === 0;
  // initdb refuses to run as root, so as root the server runs as the postgres user.
  const asPg = (cmd: string) => (isRoot ? execFileSync('su', ['postgres', '-s', '/bin/bash', '-c', cmd], { stdio: 'pipe' }) : execFileSync('bash', ['-c', cmd], { stdio: 'pipe' }));
  const data = path.join(work, 'pg');
  fs.mkdirSync(data);
  if (isRoot) execFileSync('chown', ['postgres', data, work]);
  const port = await freePort();
  asPg(`'${bin}/initdb' -D '${data}' -U postgres -A trust --no-sync`);
  try {
    asPg(
      `'${bin}/pg_ctl' -D '${data}' -w -l '${work}/pg.log' -o "-p ${port} -k '${work}' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start`,
    );
  } catch (err) {
    const log = fs.existsSync(`${work}/pg.log`) ? fs.readFileSync(`${work}/pg.log`, 'utf8') : '';
    fs.rmSync(work, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`);
  }
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        asPg(`'${bin}/pg_ctl' -D '${data}' -m immediate stop`);
      } catch {
        /* already gone */
      }
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

interface Row {
  bench: string;
  backend: string;
  figure: Figure;
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** A plain-text table: one line per figure, columns padded to fit. */
function table(rows: Row[]): string {
  const head = ['bench', 'store', 'figure', 'value', 'baseline', 'ratio', 'note'];
  const body = rows.map(({ bench, backend, figure: f }) => [
    bench,
    backend,
    f.name,
    `${fmt(f.value)} ${f.unit}`,
    `${fmt(f.baselineValue)} ${f.unit} (${f.baselineName})`,
    f.baselineValue ? `${(f.value / f.baselineValue).toFixed(2)}×` : '–',
    f.note ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const benches = await findBenches(args.only);
  if (!benches.length) {
    process.stdout.write('No benches found in bench/.\n');
    return;
  }
  let pg: ThrowawayPg | null = null;
  const cleanup = () => pg?.stop();
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const rows: Row[] = [];
  let failed = 0;
  try {
    for (const backend of args.backends) {
      let pgAdminUrl: string | undefined;
      if (backend === 'postgres') {
        pgAdminUrl = process.env.TUCO_BENCH_PG_URL;
        if (!pgAdminUrl) {
          pg = await startThrowawayPg();
          pgAdminUrl = pg.url;
        }
      }
      for (const b of benches) {
        process.stderr.write(`running ${b.name} on ${backend}${args.quick ? ' (quick)' : ''}…\n`);
        try {
          const figures = await b.run({ backend, pgAdminUrl, quick: args.quick });
          for (const figure of figures) rows.push({ bench: b.name, backend, figure });
        } catch (err) {
          failed++;
          process.stderr.write(`${b.name} on ${backend} failed: ${(err as Error).stack ?? err}\n`);
        }
      }
    }
  } finally {
    cleanup();
  }
  const when = new Date().toISOString();
  process.stdout.write(`\nTuco benchmarks, ${when}, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}${args.quick ? ', quick sizes' : ''}\n\n`);
  process.stdout.write(`${table(rows)}\n`);
  if (failed) {
    process.stderr.write(`${failed} bench run(s) failed\n`);
    process.exitCode = 1;
  }
}

await main();
