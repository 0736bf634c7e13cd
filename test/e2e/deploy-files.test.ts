/**
 * The files deploy target through the real engine: after `up` the layout exists with its modes and every
 * certificate verifies; a rotation of one service rewrites that service's files with the new certificate
 * and leaves the others alone; `destroy` removes every file.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineSession, TestStack } from "../support/engine";
import { rotationOf, SERVICES_UNDER_TEST } from "../support/kubeDeploy";
import { openssl, PemDir } from "../support/pem";

const SERVICES = SERVICES_UNDER_TEST;

let session: EngineSession;
let stack: TestStack;
let pems: PemDir;
let root: string;

function read(relative: string): string {
  return fs.readFileSync(path.join(root, relative), "utf8");
}

function mode(relative: string): number {
  return fs.statSync(path.join(root, relative)).mode & 0o777;
}

/** Every file under the certificate directory, relative, sorted. */
function files(): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(root, f)).isFile())
    .sort();
}

beforeAll(async () => {
  session = await EngineSession.start("deploy-files");
  pems = await PemDir.create("deploy-files");
  root = path.join(pems.dir, "certs");
  stack = await session.projectStack({
    stackName: "e2e-deploy-files",
    config: {
      "mesh-pki:deploy": JSON.stringify({ target: "files", directory: root }),
      "mesh-pki:services": JSON.stringify(Object.fromEntries(SERVICES.map((s) => [s, {}]))),
    },
  });
  await stack.up();
});

afterAll(async () => {
  await session?.cleanup();
  await pems?.remove();
});

describe("the files deploy target on the real engine", () => {
  it("writes exactly the layout: the CA bundle, the alert rules, a certificate and key per service", () => {
    expect(files()).toEqual(
      [
        "ca/ca.crt",
        "prometheus/mesh-pki.rules.yml",
        ...SERVICES.flatMap((s) => [`services/${s}/${s}.crt`, `services/${s}/${s}.key`]),
      ].sort(),
    );
  });

  it.each(SERVICES)("%s: certificate 0644, key 0600, and the pair verifies", async (name) => {
    expect(mode(`services/${name}/${name}.crt`)).toBe(0o644);
    expect(mode(`services/${name}/${name}.key`)).toBe(0o600);
    expect(mode("ca/ca.crt")).toBe(0o644);

    const certFile = path.join(root, `services/${name}/${name}.crt`);
    const result = await openssl(["verify", "-CAfile", path.join(root, "ca/ca.crt"), certFile]);
    expect(result.output).toContain(`${certFile}: OK`);
    const cert = new X509Certificate(read(`services/${name}/${name}.crt`));
    expect(cert.subject).toContain(`CN=${name}`);
    expect(cert.checkPrivateKey(createPrivateKey(read(`services/${name}/${name}.key`)))).toBe(true);
  });

  it("holds the stack's own certificates", async () => {
    const outputs = await stack.outputs();
    expect(read("ca/ca.crt")).toBe(outputs.trustBundlePem.value);
    for (const name of SERVICES) {
      expect(read(`services/${name}/${name}.crt`)).toBe(outputs.services.value[name].chainPem);
    }
  });

  it("after a rotation of auth, holds auth's new certificate and leaves the others as they were", async () => {
    const before = Object.fromEntries(
      SERVICES.map((s) => [
        s,
        { crt: read(`services/${s}/${s}.crt`), key: read(`services/${s}/${s}.key`) },
      ]),
    );
    const rotation = rotationOf("auth", SERVICES);
    await stack.setConfig({ "mesh-pki:services": JSON.stringify(rotation.services) });
    await stack.up();
    const outputs = await stack.outputs();

    const after = read("services/auth/auth.crt");
    expect(after).not.toBe(before.auth.crt);
    expect(after).toBe(outputs.services.value.auth.chainPem);
    expect(new X509Certificate(after).serialNumber).not.toBe(
      new X509Certificate(before.auth.crt).serialNumber,
    );
    const key = read("services/auth/auth.key");
    expect(new X509Certificate(after).checkPrivateKey(createPrivateKey(key))).toBe(true);
    if (rotation.rotatesKey) expect(key).not.toBe(before.auth.key);
    expect(mode("services/auth/auth.key")).toBe(0o600);
    const verified = await openssl([
      "verify",
      "-CAfile",
      path.join(root, "ca/ca.crt"),
      path.join(root, "services/auth/auth.crt"),
    ]);
    expect(verified.ok).toBe(true);

    for (const other of SERVICES.filter((s) => s !== "auth")) {
      expect(read(`services/${other}/${other}.crt`)).toBe(before[other].crt);
      expect(read(`services/${other}/${other}.key`)).toBe(before[other].key);
    }
    // Atomic writes leave no temporary file next to the ones they replaced.
    expect(files().filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("removes every file and the directory on destroy", async () => {
    await stack.destroy();
    expect(files()).toEqual([]);
    expect(fs.existsSync(root)).toBe(false);
  });
});
