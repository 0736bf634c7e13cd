// PostgreSQL for tests of the Pulumi CLI's postgres:// state backend: the server `npm test` started
// (MESH_PKI_POSTGRES_URL, from tools/postgres.sh), or one started here in a temporary directory and stopped
// again when the last user releases it. One table per engine session keeps sessions apart; psql reads and
// drops it. Only 127.0.0.1 is ever contacted, and every command is bounded in time.

import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const script = path.resolve(__dirname, "../../tools/postgres.sh");

/** Bounds, in milliseconds. */
const timeouts = {
  /** tools/postgres.sh start: may apt-get install postgresql on a clean machine. */
  start: 10 * 60_000,
  stop: 60_000,
  query: 30_000,
};

/** The key prefix of every lock the diy backend writes, under the URL's path (the database name). */
export const lockKeyPart = "/.pulumi/locks/";

export interface PostgresServer {
  /** postgres://role:password@127.0.0.1:port/database?sslmode=disable */
  readonly url: string;
  /** Whether this process started the server, and so stops it. */
  readonly startedHere: boolean;
}

let shared: { server: Promise<PostgresServer>; users: number; dir?: string } | undefined;

async function startServer(): Promise<{ server: PostgresServer; dir?: string }> {
  const given = process.env.MESH_PKI_POSTGRES_URL;
  if (given) return { server: { url: given, startedHere: false } };

  // The server runs as `postgres` when we are root, so its directory must be one that user can enter.
  const dir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "mesh-pki-pg-test-")), "cluster");
  await fs.chmod(path.dirname(dir), 0o755);
  const { stdout } = await run(script, ["start"], {
    env: { ...process.env, MESH_PKI_POSTGRES_DIR: dir },
    timeout: timeouts.start,
  });
  return { server: { url: stdout.trim().split("\n").at(-1)!, startedHere: true }, dir };
}

/** The shared server, started on the first call; each call must be matched by releasePostgres(). */
export async function acquirePostgres(): Promise<PostgresServer> {
  if (!shared) {
    const started = startServer();
    shared = { server: started.then((s) => s.server), users: 0 };
    const entry = shared;
    started.then(
      (s) => (entry.dir = s.dir),
      () => (shared = undefined),
    );
  }
  shared.users += 1;
  return shared.server;
}

/** Releases one use; the last release stops a server this process started and removes its directory. */
export async function releasePostgres(): Promise<void> {
  if (!shared) return;
  shared.users -= 1;
  if (shared.users > 0) return;
  const { dir } = shared;
  const server = await shared.server.catch(() => undefined);
  shared = undefined;
  if (!server?.startedHere || !dir) return;
  await run(script, ["stop"], {
    env: { ...process.env, MESH_PKI_POSTGRES_DIR: dir },
    timeout: timeouts.stop,
  });
  await fs.rm(path.dirname(dir), { recursive: true, force: true });
}

/** The backend URL the Pulumi CLI takes: the server's, with the state in `table`. */
export function backendUrl(serverUrl: string, table: string): string {
  const url = new URL(serverUrl);
  url.searchParams.set("table", table);
  return url.toString();
}

/** A URL with its password replaced, for messages. */
export function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "****";
  return parsed.toString();
}

/** A table name for one session: lower case, digits and underscores, unique enough for parallel runs. */
export function tableName(label: string): string {
  const safe = label.toLowerCase().replace(/[^a-z0-9]+/g, "_");
  return `mesh_pki_${safe}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Runs one SQL statement with psql and returns its unaligned output. */
export async function psql(serverUrl: string, sql: string): Promise<string> {
  const url = new URL(serverUrl);
  url.searchParams.delete("table");
  const { stdout } = await run(
    "psql",
    [url.toString(), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql],
    {
      timeout: timeouts.query,
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, PGCONNECT_TIMEOUT: "10" },
    },
  );
  return stdout.trim();
}

/** One blob of the diy backend as PostgreSQL holds it: key and decoded content. */
export interface StateRow {
  readonly key: string;
  readonly text: string;
}

/** Every row of a state table, decoded (the backend stores `{"data": base64}` per key). */
export async function stateRows(serverUrl: string, table: string): Promise<StateRow[]> {
  checkTable(table);
  const out = await psql(
    serverUrl,
    `SELECT coalesce(json_agg(json_build_object('key', key, 'data', data->>'data') ORDER BY key), '[]')` +
      ` FROM ${table}`,
  );
  const rows = JSON.parse(out) as Array<{ key: string; data: string }>;
  return rows.map((r) => ({ key: r.key, text: Buffer.from(r.data, "base64").toString("utf8") }));
}

/** Keys of the locks in a state table. */
export async function lockKeys(serverUrl: string, table: string): Promise<string[]> {
  checkTable(table);
  const out = await psql(
    serverUrl,
    `SELECT key FROM ${table} WHERE position('${lockKeyPart}' in key) > 0 ORDER BY key`,
  );
  return out === "" ? [] : out.split("\n");
}

export async function tableExists(serverUrl: string, table: string): Promise<boolean> {
  checkTable(table);
  return (await psql(serverUrl, `SELECT to_regclass('${table}') IS NOT NULL`)) === "t";
}

export async function dropTable(serverUrl: string, table: string): Promise<void> {
  checkTable(table);
  await psql(serverUrl, `DROP TABLE IF EXISTS ${table}`);
}

function checkTable(table: string) {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`not a plain table name: ${table}`);
}
