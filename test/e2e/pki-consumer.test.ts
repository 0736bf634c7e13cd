/**
 * The consumer example (examples/consumer), built and run for real by the engine against a mesh-pki stack
 * in the same temporary file backend, through StackReference `organization/mesh-pki/<stack>` (the file
 * backend's form). It must read the trust bundle and service facts plain and the service key as a secret.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OutputMap } from "@pulumi/pulumi/automation";
import { EngineSession, TestStack, repoRoot } from "../support/engine";
import { PemDir } from "../support/pem";

const run = promisify(execFile);
const CONSUMER_DIR = path.join(repoRoot, "examples/consumer");
const MESH_STACK = "pki-consumer-mesh";

let session: EngineSession;
let pems: PemDir;
let mesh: OutputMap;
let consumer: TestStack;
let consumed: OutputMap;

beforeAll(async () => {
  session = await EngineSession.start("pki-consumer");
  pems = await PemDir.create("pki-consumer-pems");

  const meshStack = await session.projectStack({
    stackName: MESH_STACK,
    config: {
      "mesh-pki:services": JSON.stringify({ gateway: {}, auth: {} }),
      "mesh-pki:deploy": JSON.stringify({ target: "files", directory: `${pems.dir}/certs` }),
    },
  });
  await meshStack.up();
  mesh = await meshStack.outputs();

  // The example's own build: its tsconfig compiles it and the helper it imports into its dist/.
  await run(path.join(repoRoot, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], {
    cwd: CONSUMER_DIR,
    timeout: 120_000,
  });
  consumer = await session.projectStack({
    stackName: "pki-consumer",
    workDir: CONSUMER_DIR,
    config: { meshStack: `organization/mesh-pki/${MESH_STACK}`, service: "auth" },
  });
  await consumer.up();
  consumed = await consumer.outputs();
});

afterAll(async () => {
  await session?.cleanup();
  await pems?.remove();
});

describe("the consumer example, run by the engine against a mesh stack", () => {
  it("reads the trust bundle plain", () => {
    expect(consumed.trustBundlePem).toEqual({ value: mesh.trustBundlePem.value, secret: false });
    expect(consumed.trustBundlePem.value).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it("reads the service's public facts plain", () => {
    const auth = mesh.services.value.auth;
    expect(consumed.serviceNames.secret).toBe(false);
    expect([...consumed.serviceNames.value].sort()).toEqual(["auth", "gateway"]);
    expect(consumed.spiffeId).toEqual({ value: auth.spiffeId, secret: false });
    expect(consumed.certNotAfter).toEqual({ value: auth.notAfter, secret: false });
    expect(consumed.spkiPinSha256).toEqual({ value: auth.spkiPinSha256, secret: false });
  });

  it("reads the service key as a secret", () => {
    expect(consumed.serviceKeyPem.secret).toBe(true);
    expect(consumed.serviceKeyPem.value).toBe(mesh.serviceKeyPems.value.auth);
    expect(consumed.serviceKeyPem.value).toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  });

  it("keeps the key out of the consumer's exported state in plain text", async () => {
    const exported = JSON.stringify(await consumer.exportState());
    expect(exported).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
    expect(exported).not.toContain(mesh.serviceKeyPems.value.auth.split("\n")[1]);
  });
});
