// The policy pack through the real engine: `tools/pulumi preview --policy-pack policy`, the command pull
// requests run, over a small program that uses @pulumi/tls and @pulumi/kubernetes (rendered to a
// directory, so no cluster is needed). A known-good program previews clean; each bad variant fails the
// preview naming the policy it breaks, with nothing created; an advisory violation prints and passes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { EngineSession, repoRoot, timeouts, type TestStack } from "../support/engine";

const PEM_KEY =
  "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIBLtMDDpqbWy1E6ulJ0O5A5RkW6cQvZ0mYV3b8Q1hZ0i\\n-----END EC PRIVATE KEY-----";

// One program; the `variant` config key changes one thing from the known-good mesh.
const program = `
const pulumi = require("@pulumi/pulumi");
const tls = require("@pulumi/tls");
const k8s = require("@pulumi/kubernetes");
const os = require("os");
const path = require("path");

const variant = new pulumi.Config().get("variant") || "good";
const is = (v) => variant === v;
const MTLS = ["digital_signature", "server_auth", "client_auth"];

const caKey = new tls.PrivateKey("ca-key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
const ca = new tls.SelfSignedCert("ca-cert", {
  privateKeyPem: caKey.privateKeyPem,
  subject: { commonName: "ashchan-ca" },
  validityPeriodHours: 87600,
  earlyRenewalHours: 8760,
  isCaCertificate: true,
  ...(is("ca-no-path-length") ? {} : { maxPathLength: 0 }),
  allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
});

function identity(service, sans) {
  const key = new tls.PrivateKey(service + "-key", is("p224") && service === "gateway"
    ? { algorithm: "ECDSA", ecdsaCurve: "P224" }
    : is("rsa-2048") && service === "gateway"
      ? { algorithm: "RSA", rsaBits: 2048 }
      : { algorithm: "ECDSA", ecdsaCurve: "P256" });
  const csr = new tls.CertRequest(service + "-csr", {
    privateKeyPem: key.privateKeyPem,
    subject: { commonName: service },
    dnsNames: sans,
    uris: ["spiffe://ashchan.local/service/" + service],
  });
  const gateway = service === "gateway";
  return new tls.LocallySignedCert(service + "-cert", {
    certRequestPem: csr.certRequestPem,
    caCertPem: ca.certPem,
    caPrivateKeyPem: caKey.privateKeyPem,
    validityPeriodHours: gateway && is("five-year-leaf") ? 43800 : gateway && is("180-day-leaf") ? 4320 : 2160,
    earlyRenewalHours: gateway && is("no-renewal-window") ? 0 : 720,
    allowedUses: gateway && is("no-client-auth")
      ? ["digital_signature", "server_auth"]
      : gateway && is("leaf-signs") ? [...MTLS, "cert_signing"] : MTLS,
  });
}

const gatewayCert = identity("gateway", is("wildcard-san")
  ? ["gateway", "*.ashchan.local"]
  : ["gateway", "localhost", "gateway.ashchan.local"]);
identity("auth", ["auth", "localhost", "auth.ashchan.local", ...(is("shared-san") ? ["gateway.ashchan.local"] : [])]);

const provider = new k8s.Provider("render", {
  renderYamlToDirectory: path.join(os.tmpdir(), "mesh-pki-policy-e2e-" + pulumi.getStack()),
});
new k8s.core.v1.Secret("gateway-mtls", {
  metadata: { name: "gateway-mtls" },
  type: "kubernetes.io/tls",
  stringData: { "tls.crt": gatewayCert.certPem, "tls.key": "(key)", "ca.crt": ca.certPem },
}, { provider });
if (is("opaque-secret")) {
  // A trust bundle from a literal, published in an Opaque Secret.
  new k8s.core.v1.Secret("trust-bundle", {
    metadata: { name: "trust-bundle" },
    type: "Opaque",
    stringData: { "ca.crt": "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----" },
  }, { provider });
}

const env = {
  SERVICE_NAME: "gateway",
  MTLS_PORT: "8443",
  MTLS_CERT_FILE: "/etc/mtls/tls.crt",
  MTLS_KEY_FILE: "/etc/mtls/tls.key",
  MTLS_CA_FILE: "/etc/mtls/ca.crt",
  MTLS_MIN_VERSION: is("tls12-minimum") ? "TLSv1.2" : "TLSv1.3",
  MTLS_CIPHERS: is("tls12-cipher")
    ? "TLS_AES_256_GCM_SHA384:ECDHE-ECDSA-AES128-GCM-SHA256"
    : "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
  ...(is("key-in-env") ? { MTLS_KEY_PEM: "${PEM_KEY}" } : {}),
};
new k8s.apps.v1.Deployment("gateway", {
  metadata: { name: "gateway" },
  spec: {
    selector: { matchLabels: { app: "gateway" } },
    template: {
      metadata: { labels: { app: "gateway" } },
      spec: {
        containers: [{
          name: "gateway",
          image: "mesh-service:1",
          env: Object.entries(env).map(([name, value]) => ({ name, value })),
          volumeMounts: [is("subpath-mount")
            ? { name: "mtls", mountPath: "/etc/mtls/tls.crt", subPath: "tls.crt", readOnly: true }
            : { name: "mtls", mountPath: "/etc/mtls", readOnly: !is("writable-mount") }],
        }],
        volumes: [{ name: "mtls", secret: { secretName: "gateway-mtls" } }],
      },
    },
  },
}, { provider });
`;

interface Preview {
  code: number;
  output: string;
}

let session: EngineSession;
let stack: TestStack;

async function preview(variant: string): Promise<Preview> {
  await stack.setConfig({ "policy-e2e:variant": variant });
  return previewWithPack(stack);
}

function previewWithPack(stack: TestStack): Promise<Preview> {
  return new Promise((resolve) => {
    execFile(
      path.join(repoRoot, "tools/pulumi"),
      ["preview", "--stack", stack.stack.name, "--policy-pack", path.join(repoRoot, "policy")],
      {
        cwd: stack.workDir,
        env: { ...process.env, ...session.env },
        timeout: timeouts.operation,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

/** The policies the engine reported at a level, as `[level]  name` lines of its Policies section. */
function reported(output: string, level: "mandatory" | "advisory"): string[] {
  const names = [...output.matchAll(new RegExp(`\\[${level}\\]\\s+([a-z0-9-]+)`, "g"))].map(
    (m) => m[1],
  );
  return [...new Set(names)].sort();
}

beforeAll(async () => {
  session = await EngineSession.start("policy-preview");
  stack = await session.tempProjectStack({ projectName: "policy-e2e", program, stackName: "ci" });
});

afterAll(async () => {
  await session?.cleanup();
});

describe("pulumi preview --policy-pack policy", () => {
  it("passes the known-good program with no violation", async () => {
    const result = await preview("good");
    expect(reported(result.output, "mandatory"), result.output).toEqual([]);
    expect(reported(result.output, "advisory"), result.output).toEqual([]);
    expect(result.code, result.output).toBe(0);
  });

  it.each([
    ["p224", ["key-algorithm"], "ECDSA curve P224 is refused"],
    ["rsa-2048", ["key-algorithm"], "RSA key of 2048 bits is below 3072"],
    ["five-year-leaf", ["leaf-validity-ceiling", "renewal-window"], "exceeds 398 days"],
    ["no-renewal-window", ["renewal-window"], "no renewal window"],
    ["no-client-auth", ["mtls-usages"], "a mesh leaf needs client_auth"],
    ["leaf-signs", ["leaf-cannot-sign"], "remove cert_signing from allowedUses"],
    ["ca-no-path-length", ["ca-constraints"], "needs a path length constraint"],
    ["wildcard-san", ["san-names"], "wildcard SAN *.ashchan.local"],
    ["shared-san", ["unique-service-sans"], "SAN gateway.ashchan.local is shared"],
    ["tls12-minimum", ["tls-min-version"], "MTLS_MIN_VERSION=TLSv1.2 is below TLSv1.3"],
    [
      "tls12-cipher",
      ["tls13-ciphers"],
      "ECDHE-ECDSA-AES128-GCM-SHA256, which TLS 1.3 never negotiates",
    ],
    ["key-in-env", ["no-private-key-in-env"], "MTLS_KEY_PEM holds a PEM private key"],
    ["writable-mount", ["cert-mounts-read-only"], "holds certificate files but is writable"],
    ["subpath-mount", ["no-subpath-cert-mounts"], "uses subPath tls.crt"],
    ["opaque-secret", ["tls-secret-type"], "has type Opaque"],
  ])("fails the %s variant on %s, creating nothing", async (variant, policies, message) => {
    const result = await preview(variant);
    expect(reported(result.output, "mandatory"), result.output).toEqual(policies);
    expect(result.output).toContain(message);
    expect(result.code, result.output).not.toBe(0);
    expect(await stack.resources()).toEqual([]);
  });

  it("prints an advisory violation and lets the preview pass", async () => {
    const result = await preview("180-day-leaf");
    expect(reported(result.output, "advisory"), result.output).toEqual(["leaf-validity-advisory"]);
    expect(reported(result.output, "mandatory"), result.output).toEqual([]);
    expect(result.output).toContain("is longer than the recommended 90 days");
    expect(result.code, result.output).toBe(0);
  });
});
