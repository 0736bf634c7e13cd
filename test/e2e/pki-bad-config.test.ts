/**
 * Bad stack config through the real engine: each case sets config on one stack, `pulumi up` must fail with
 * a message naming the config path, and the stack must hold no resource afterwards (the program stops
 * before declaring any). The keys of a case are removed before the next one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineSession, TestStack } from "../support/engine";
import { PemDir } from "../support/pem";

interface BadCase {
  what: string;
  /** Config to set, keys with their namespace, values as `pulumi config set` would store them. */
  config: Record<string, string>;
  /** The config path the message must name. */
  path: string;
  /** A fragment of the message at that path. */
  says: string;
}

const json = (value: unknown) => JSON.stringify(value);
const services = (value: unknown) => ({ "mesh-pki:services": json(value) });

const CASES: BadCase[] = [
  {
    what: "unknown service in a peer list",
    config: services({ gateway: { peers: ["billing"] }, auth: {} }),
    path: "mesh-pki:services.gateway.peers[0]",
    says: 'unknown service "billing"',
  },
  {
    what: "duplicate SAN across services",
    config: services({
      gateway: { dnsNames: ["api.ashchan.example"] },
      auth: { dnsNames: ["api.ashchan.example"] },
    }),
    path: "mesh-pki:services.auth.dnsNames[0]",
    says: 'is also a SAN of service "gateway"',
  },
  {
    what: "renew-before not shorter than validity",
    config: services({ gateway: { validityDays: 30, renewBeforeDays: 30 } }),
    path: "mesh-pki:services.gateway.renewBeforeDays",
    says: "is not shorter than the validity",
  },
  {
    what: "service validity above the ceiling",
    config: services({ gateway: { validityDays: 400 } }),
    path: "mesh-pki:services.gateway.validityDays",
    says: "above the 398-day ceiling",
  },
  {
    what: "CA validity above the ceiling",
    config: { "mesh-pki:ca": json({ validityDays: 7300 }) },
    path: "mesh-pki:ca.validityDays",
    says: "above the 3650-day ceiling",
  },
  {
    what: "unknown key algorithm",
    config: { "mesh-pki:serviceDefaults": json({ keyAlgorithm: "dsa-1024" }) },
    path: "mesh-pki:serviceDefaults.keyAlgorithm",
    says: 'unknown key algorithm "dsa-1024"',
  },
  {
    what: "bad IP address",
    config: services({ gateway: { ipAddresses: ["10.0.0.300"] } }),
    path: "mesh-pki:services.gateway.ipAddresses[0]",
    says: "is not an IPv4 or IPv6 address",
  },
  {
    what: "wildcard SAN",
    config: services({ gateway: { dnsNames: ["*.ashchan.local"] } }),
    path: "mesh-pki:services.gateway.dnsNames[0]",
    says: "wildcard",
  },
  {
    what: "empty service name",
    config: services({ "": {} }),
    path: 'mesh-pki:services[""]',
    says: "a service name is empty",
  },
  {
    what: "service name that is not a DNS label",
    config: services({ Gateway_1: {} }),
    path: "mesh-pki:services.Gateway_1",
    says: "is not a DNS label",
  },
  {
    what: "service name equal to the CA's common name",
    config: services({ "ashchan-ca": {} }),
    path: "mesh-pki:services.ashchan-ca",
    says: "also an issuer's common name",
  },
  {
    what: "unknown key in a service",
    config: services({ gateway: { dns: ["api.ashchan.example"] } }),
    path: "mesh-pki:services.gateway",
    says: 'unknown key "dns"',
  },
  {
    what: "unknown top-level key",
    config: { "mesh-pki:colour": "blue" },
    path: "mesh-pki:colour",
    says: "unknown config key",
  },
  {
    what: "malformed JSON value",
    config: { "mesh-pki:services": "{gateway: " },
    path: "mesh-pki:services",
    says: "expected a structured value",
  },
  {
    what: "unknown issuer mode",
    config: { "mesh-pki:issuer": json({ mode: "subordinate" }) },
    path: "mesh-pki:issuer.mode",
    says: 'unknown issuer mode "subordinate"',
  },
  {
    what: "service certificates outliving the intermediate",
    config: {
      "mesh-pki:issuer": json({ mode: "intermediate", validityDays: 300, renewBeforeDays: 30 }),
    },
    path: "mesh-pki:serviceDefaults.validityDays",
    says: "365 days outlives its issuer's 300",
  },
  {
    what: "TLS 1.2 allowed",
    config: { "mesh-pki:tls": json({ minVersion: "TLSv1.2" }) },
    path: "mesh-pki:tls.minVersion",
    says: "the mesh speaks TLS 1.3 only",
  },
  {
    what: "wildcard trust domain",
    config: { "mesh-pki:trustDomain": "*.ashchan.local" },
    path: "mesh-pki:trustDomain",
    says: "cannot be a wildcard",
  },
];

let session: EngineSession;
let stack: TestStack;
let pems: PemDir;

beforeAll(async () => {
  session = await EngineSession.start("pki-bad-config");
  pems = await PemDir.create("pki-bad-config-pems");
  // Were a case to pass by mistake, its files would land here, not in the repository's certs/.
  stack = await session.projectStack({
    stackName: "pki-bad-config",
    config: { "mesh-pki:deploy": json({ target: "files", directory: `${pems.dir}/certs` }) },
  });
});

afterAll(async () => {
  await session?.cleanup();
  await pems?.remove();
});

describe("bad config through the real engine", () => {
  it("has at least twelve cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(12);
  });

  it.each(CASES)("$what: up fails naming $path, nothing is created", async (c) => {
    await stack.setConfig(c.config);
    try {
      const failure = await stack.up().then(
        () => undefined,
        (e: unknown) => String((e as Error).message ?? e),
      );
      expect(failure, "up succeeded").toBeDefined();
      expect(failure).toContain("stack config is invalid");
      expect(failure).toContain("nothing was declared");
      // The problem line: `  <path>: <message>`.
      const line = failure!.split("\n").find((l) => l.trim().startsWith(`${c.path}: `));
      expect(line, `no line for ${c.path} in:\n${failure}`).toBeDefined();
      expect(line).toContain(c.says);
      expect(await stack.resources()).toEqual([]);
    } finally {
      await stack.removeConfig(...Object.keys(c.config));
    }
  });
});
