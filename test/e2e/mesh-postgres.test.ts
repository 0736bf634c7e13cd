/**
 * The engine issue's end-to-end suite (mesh.test.ts), unchanged, with its state on PostgreSQL: the
 * imported file registers its tests in this one, and its EngineSession reads the backend from
 * MESH_PKI_TEST_BACKEND when its beforeAll runs, after every module of this file is loaded. Each test file
 * runs in a process of its own, so the setting stays in this file.
 */
import "./mesh.test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  acquirePostgres,
  psql,
  PostgresServer,
  releasePostgres,
  stateRows,
} from "../support/postgres";

process.env.MESH_PKI_TEST_BACKEND = "postgres";

let server: PostgresServer;

// The suite's session has the server already; this is a second use of the same one.
beforeAll(async () => {
  server = await acquirePostgres();
});

afterAll(async () => {
  await releasePostgres();
});

describe("the suite's state", () => {
  it("is in a PostgreSQL table of this run: the stack's checkpoint with its resources", async () => {
    const tables = (
      await psql(
        server.url,
        `SELECT tablename FROM pg_tables WHERE tablename LIKE 'mesh_pki_mesh_${process.pid}_%'`,
      )
    ).split("\n");
    expect(tables).toHaveLength(1);
    const rows = await stateRows(server.url, tables[0]);
    const stack = rows.find((r) => r.key.endsWith("/.pulumi/stacks/mesh-pki/e2e-mesh.json"));
    const resources = JSON.parse(stack!.text).checkpoint.latest.resources as Array<{
      type: string;
    }>;
    expect(
      resources.filter((r) => r.type.endsWith(":LocallySignedCert")),
      JSON.stringify(resources.map((r) => r.type)),
    ).toHaveLength(6);
  });
});
