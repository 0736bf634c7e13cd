/**
 * The reference mesh through the real engine: `up` of the repository's program on its embedded defaults,
 * then every certificate checked by independent tools (openssl, Node's X509Certificate and tls module).
 */
import { execFile } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineSession, repoRoot, TestStack } from "../support/engine";
import { openssl, PemDir } from "../support/pem";
import { mutualHandshake } from "../support/tls";

const SERVICES = ["gateway", "auth", "boards", "media", "search", "moderation"];
const TRUST_DOMAIN = "ashchan.local";

interface ServiceOutput {
  certPem: string;
  chainPem: string;
  spiffeId: string;
  dnsNames: string[];
  ipAddresses: string[];
  serialNumber: string;
  fingerprintSha256: string;
  spkiPinSha256: string;
  notBefore: string;
  notAfter: string;
}

let session: EngineSession;
let stack: TestStack;
let pems: PemDir;
let bundle: string;
let services: Record<string, ServiceOutput>;
let keys: Record<string, string>;
let firstUp: { summary: { resourceChanges?: Record<string, number> } };
let alertRulesYaml: string;
const run = promisify(execFile);

beforeAll(async () => {
  session = await EngineSession.start("mesh");
  pems = await PemDir.create("mesh-pems");
  // The files target writes under a directory of the test's own, never the local stack's certs/.
  stack = await session.projectStack({
    stackName: "e2e-mesh",
    config: {
      "mesh-pki:deploy": JSON.stringify({ target: "files", directory: `${pems.dir}/certs` }),
    },
  });
  firstUp = await stack.up();
  const outputs = await stack.outputs();
  bundle = outputs.trustBundlePem.value;
  services = outputs.services.value;
  keys = outputs.serviceKeyPems.value;
  alertRulesYaml = outputs.alertRulesYaml.value;
  expect(outputs.serviceKeyPems.secret).toBe(true);
  expect(outputs.services.secret).toBe(false);
  expect(outputs.trustBundlePem.secret).toBe(false);
});

afterAll(async () => {
  await session?.cleanup();
  await pems?.remove();
});

describe("the reference mesh, made by the real engine", () => {
  it("declares a root CA and one identity per service", () => {
    expect(Object.keys(services).sort()).toEqual([...SERVICES].sort());
    expect(Object.keys(keys).sort()).toEqual([...SERVICES].sort());
    expect(firstUp.summary.resourceChanges?.create).toBeGreaterThan(0);
    const root = new X509Certificate(bundle);
    expect(root.subject).toContain("CN=ashchan-ca");
    expect(root.ca).toBe(true);
  });

  it.each(SERVICES)(
    "%s: the certificate passes openssl verify against the trust bundle",
    async (name) => {
      const caFile = await pems.write("bundle.pem", bundle);
      const certFile = await pems.write(`${name}.pem`, services[name].certPem);
      const result = await openssl(["verify", "-CAfile", caFile, certFile]);
      expect(result.output).toContain(`${certFile}: OK`);
      expect(result.ok).toBe(true);
    },
  );

  it.each(SERVICES)("%s: the SANs are exactly the configured ones", (name) => {
    const cert = new X509Certificate(services[name].certPem);
    expect(cert.subjectAltName?.split(", ").sort()).toEqual(
      [
        `DNS:${name}`,
        "DNS:localhost",
        `DNS:${name}.${TRUST_DOMAIN}`,
        `URI:spiffe://${TRUST_DOMAIN}/service/${name}`,
      ].sort(),
    );
    expect(services[name].spiffeId).toBe(`spiffe://${TRUST_DOMAIN}/service/${name}`);
    expect(cert.subject).toContain(`CN=${name}`);
    expect(cert.checkPrivateKey(createPrivateKey(keys[name]))).toBe(true);
  });

  const pairs = SERVICES.flatMap((server) => SERVICES.map((client) => [client, server]));
  it("completes a TLS 1.3 mutual handshake for all 36 ordered pairs", async () => {
    expect(pairs).toHaveLength(36);
    const failures: string[] = [];
    for (const [client, server] of pairs) {
      const result = await mutualHandshake(
        { certPem: services[server].chainPem, keyPem: keys[server], caPem: bundle },
        { certPem: services[client].chainPem, keyPem: keys[client], caPem: bundle },
        `${server}.${TRUST_DOMAIN}`,
      );
      const expected =
        result.ok &&
        result.protocol === "TLSv1.3" &&
        result.serverSawClient === services[client].spiffeId &&
        result.clientSawServer === services[server].spiffeId;
      if (!expected) failures.push(`${client} -> ${server}: ${JSON.stringify(result)}`);
    }
    expect(failures).toEqual([]);
  });

  it("writes the files layout: bundle, chain and key per service (0600), alert rules", async () => {
    const certs = path.join(pems.dir, "certs");
    expect(await readFile(path.join(certs, "ca/ca.crt"), "utf8")).toBe(bundle);
    for (const name of SERVICES) {
      const dir = path.join(certs, "services", name);
      expect(await readFile(path.join(dir, `${name}.crt`), "utf8")).toBe(services[name].chainPem);
      expect(await readFile(path.join(dir, `${name}.key`), "utf8")).toBe(keys[name]);
      expect((await stat(path.join(dir, `${name}.key`))).mode & 0o777).toBe(0o600);
      expect((await stat(path.join(dir, `${name}.crt`))).mode & 0o777).toBe(0o644);
    }
    const rulesFile = path.join(certs, "prometheus/mesh-pki.rules.yml");
    expect(await readFile(rulesFile, "utf8")).toBe(alertRulesYaml);
  });

  it("produces alert rules that promtool check rules accepts, one set per service", async () => {
    const promtool = (
      await run(path.join(repoRoot, "tools/promtool.sh"), { timeout: 600_000 })
    ).stdout
      .trim()
      .split("\n")
      .at(-1)!;
    const rulesFile = path.join(pems.dir, "certs/prometheus/mesh-pki.rules.yml");
    const checked = await run(promtool, ["check", "rules", rulesFile], { timeout: 60_000 });
    expect(checked.stdout).toMatch(/SUCCESS: 25 rules found/);
    for (const name of SERVICES) {
      expect(alertRulesYaml).toContain(`ssl_certificate_expiry_days{service="${name}"} < 30`);
    }
  });

  it("reports no changes on a second up", async () => {
    const second = await stack.up();
    expect(second.summary.resourceChanges).toEqual({ same: second.summary.resourceChanges?.same });
  });

  it("keeps every private key out of the exported state in plain text", async () => {
    const exported = JSON.stringify(await stack.exportState());
    expect(exported).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
    for (const name of SERVICES) expect(exported).not.toContain(keys[name].split("\n")[1]);
  });

  it("keeps the state lean: no PEM copied into component outputs, no provider code per file set", async () => {
    // The engine rewrites the whole state after every step of an `up`, so every byte of it per service is
    // paid once per step (bench/README.md).
    const state = await stack.exportState();
    const resources = (state.deployment?.resources ?? []) as Array<{
      type: string;
      outputs?: Record<string, unknown>;
      inputs?: Record<string, unknown>;
    }>;
    const identities = resources.filter((r) => r.type === "mesh-pki:pki:ServiceIdentity");
    expect(identities).toHaveLength(SERVICES.length);
    for (const identity of identities) {
      expect(Object.keys(identity.outputs ?? {})).not.toContain("certPem");
      expect(Object.keys(identity.outputs ?? {})).not.toContain("privateKeyPem");
      expect(JSON.stringify(identity.outputs)).not.toContain("BEGIN CERTIFICATE");
    }
    const alerts = resources.find((r) => r.type === "mesh-pki:alerts:MeshAlertRules");
    expect(Object.keys(alerts?.outputs ?? {})).toEqual(["rulesYaml"]);
    const fileSets = resources.filter((r) => r.type.endsWith(":FileSet"));
    expect(fileSets.length).toBe(SERVICES.length + 2);
    for (const set of fileSets) {
      expect(String(set.inputs?.__provider).length).toBeLessThan(3500);
    }
  });
});
