/**
 * tools/pulumi on a shared PostgreSQL backend: the development passphrase stays with the `local` stack of
 * a file backend, and a server reached without certificate checks is warned about.
 */
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../support/engine";
import {
  acquirePostgres,
  backendUrl,
  dropTable,
  PostgresServer,
  releasePostgres,
  stateRows,
  tableExists,
  tableName,
} from "../support/postgres";

const execute = promisify(execFile);
const wrapper = path.join(repoRoot, "tools/pulumi");

let server: PostgresServer;
const table = tableName("wrapper");

beforeAll(async () => {
  server = await acquirePostgres();
});

afterAll(async () => {
  if (server) await dropTable(server.url, table);
  await releasePostgres();
});

/** Runs tools/pulumi with the given backend and no passphrase; never throws. */
async function pulumi(args: string[], backend: string) {
  const env: Record<string, string | undefined> = {
    ...process.env,
    PULUMI_BACKEND_URL: backend,
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
  delete env.PULUMI_CONFIG_PASSPHRASE;
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  try {
    const { stdout, stderr } = await execute(wrapper, args, {
      cwd: repoRoot,
      env,
      timeout: 300_000,
    });
    return { ok: true, output: stdout + stderr };
  } catch (e) {
    const failed = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

describe("tools/pulumi on a PostgreSQL backend", () => {
  it("does not give the development passphrase to a stack called local", async () => {
    const configFile = path.join(repoRoot, "Pulumi.local.yaml");
    const before = await readFile(configFile, "utf8").catch(() => null);
    try {
      const result = await pulumi(
        ["stack", "init", "--stack", "local", "--non-interactive"],
        backendUrl(server.url, table),
      );
      expect(result.ok).toBe(false);
      expect(result.output).toContain(
        "not using the development passphrase: it is for the 'local' stack on a file backend",
      );
      expect(result.output).toContain(
        "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE",
      );
      expect(result.output).not.toContain(new URL(server.url).password);
      // Nothing was made: no stack in the table (if the backend made one), the local config untouched.
      if (await tableExists(server.url, table)) {
        const keys = (await stateRows(server.url, table)).map((r) => r.key);
        expect(keys.filter((k) => k.includes("/.pulumi/stacks/"))).toEqual([]);
      }
      expect(await readFile(configFile, "utf8").catch(() => null)).toBe(before);
    } finally {
      const after = await readFile(configFile, "utf8").catch(() => null);
      if (before !== null && after !== before) await writeFile(configFile, before);
    }
  });

  it.each([
    [
      "postgres://team@db.example.internal/pulumi",
      "sslmode=require, which encrypts but accepts any",
    ],
    [
      "postgres://team@db.example.internal/pulumi?sslmode=disable",
      "sslmode=disable, which may carry the state unencrypted",
    ],
    [
      "postgres://team@db.example.internal/pulumi?sslrootcert=/ca.pem",
      "sslmode=verify-ca, which checks the server's CA but not its name",
    ],
  ])("warns about %s", async (backend, warning) => {
    const result = await pulumi(["version"], backend);
    expect(result.ok).toBe(true);
    expect(result.output).toContain(
      `warning: the state database db.example.internal is reached with ${warning}`,
    );
  });

  it.each([
    "postgres://team@db.example.internal/pulumi?sslmode=verify-full&sslrootcert=/ca.pem",
    "postgres://team@127.0.0.1:5432/pulumi?sslmode=disable",
  ])("does not warn about %s", async (backend) => {
    const result = await pulumi(["version"], backend);
    expect(result.ok).toBe(true);
    expect(result.output).not.toContain("warning");
  });
});
