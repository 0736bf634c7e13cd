/**
 * The certificates the real engine makes, read by tools that share no code with the provider: openssl
 * (`x509 -text`, `verify`), Node's X509Certificate and tls module, and zlint. Three meshes cover both issuer
 * modes and every supported key algorithm, as a CA key and as a service key:
 *
 *   root           root ECDSA P-256 signs the services
 *   intermediate   root RSA 4096 signs an Ed25519 intermediate (default validity) that signs the services
 *   intermediate-b root ECDSA P-384 signs an RSA 3072 intermediate (730 days) that signs the services
 *
 * In each mesh the five services use the five algorithms, and some carry extra DNS names and IPs.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_ALGORITHMS, KeyAlgorithm } from "../../rules/tls";
import { EngineSession, TestStack } from "../support/engine";
import { openssl, PemDir, pemBlocks } from "../support/pem";
import { mutualHandshake } from "../support/tls";
import { OpensslCertificate, items, keyId, opensslText } from "../support/x509";
import { RFC_SOURCES, lintNames, zlint, zlintBinary } from "../support/zlint";

const TRUST_DOMAIN = "ashchan.local";
const DAY_MS = 24 * 60 * 60 * 1000;

interface ServiceSpec {
  keyAlgorithm: KeyAlgorithm;
  dnsNames?: string[];
  ipAddresses?: string[];
}

const SERVICES: Record<string, ServiceSpec> = {
  gateway: {
    keyAlgorithm: "ecdsa-p256",
    dnsNames: ["api.ashchan.example"],
    ipAddresses: ["127.0.0.1", "10.20.0.5", "fd00::5"],
  },
  auth: { keyAlgorithm: "ecdsa-p384" },
  boards: { keyAlgorithm: "rsa-3072", ipAddresses: ["10.20.0.6"] },
  media: { keyAlgorithm: "rsa-4096", dnsNames: ["cdn.ashchan.example"] },
  search: { keyAlgorithm: "ed25519", dnsNames: ["search.internal"] },
};
const NAMES = Object.keys(SERVICES);

interface MeshCase {
  label: string;
  stackName: string;
  rootAlgorithm: KeyAlgorithm;
  intermediate?: { algorithm: KeyAlgorithm; validityDays: number; configured: boolean };
}

const MESHES: MeshCase[] = [
  { label: "root", stackName: "pki-cert-root", rootAlgorithm: "ecdsa-p256" },
  {
    label: "intermediate",
    stackName: "pki-cert-intermediate",
    rootAlgorithm: "rsa-4096",
    intermediate: { algorithm: "ed25519", validityDays: 1825, configured: false },
  },
  {
    label: "intermediate-b",
    stackName: "pki-cert-intermediate-b",
    rootAlgorithm: "ecdsa-p384",
    intermediate: { algorithm: "rsa-3072", validityDays: 730, configured: true },
  },
];

interface ServiceOutput {
  certPem: string;
  chainPem: string;
  spiffeId: string;
  dnsNames: string[];
  ipAddresses: string[];
  notBefore: string;
  notAfter: string;
}

interface MadeMesh {
  stack: TestStack;
  rootPem: string;
  issuerPem: string;
  services: Record<string, ServiceOutput>;
  keys: Record<string, string>;
}

function meshConfig(mesh: MeshCase, certDir: string): Record<string, string> {
  const issuer = mesh.intermediate
    ? {
        mode: "intermediate",
        keyAlgorithm: mesh.intermediate.algorithm,
        ...(mesh.intermediate.configured
          ? { validityDays: mesh.intermediate.validityDays, renewBeforeDays: 90 }
          : {}),
      }
    : { mode: "root" };
  return {
    "mesh-pki:ca": JSON.stringify({ keyAlgorithm: mesh.rootAlgorithm }),
    "mesh-pki:issuer": JSON.stringify(issuer),
    "mesh-pki:services": JSON.stringify(SERVICES),
    // The files target writes under a directory of the test's own, never the repository's certs/.
    "mesh-pki:deploy": JSON.stringify({ target: "files", directory: certDir }),
  };
}

/** An IP SAN as openssl and Node print it: IPv6 in eight upper-case groups without leading zeros. */
function ipSan(ip: string): string {
  if (!ip.includes(":")) return `IP Address:${ip}`;
  const [head, tail = ""] = ip.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return `IP Address:${groups.map((g) => parseInt(g, 16).toString(16).toUpperCase()).join(":")}`;
}

function expectedSans(name: string): string[] {
  const spec = SERVICES[name];
  return [
    `DNS:${name}`,
    "DNS:localhost",
    `DNS:${name}.${TRUST_DOMAIN}`,
    ...(spec.dnsNames ?? []).map((d) => `DNS:${d}`),
    ...(spec.ipAddresses ?? []).map(ipSan),
    `URI:spiffe://${TRUST_DOMAIN}/service/${name}`,
  ];
}

/** What Node reports for a key of each algorithm. */
const NODE_KEY: Record<KeyAlgorithm, { type: string; detail?: Record<string, unknown> }> = {
  "ecdsa-p256": { type: "ec", detail: { namedCurve: "prime256v1" } },
  "ecdsa-p384": { type: "ec", detail: { namedCurve: "secp384r1" } },
  "rsa-3072": { type: "rsa", detail: { modulusLength: 3072 } },
  "rsa-4096": { type: "rsa", detail: { modulusLength: 4096 } },
  ed25519: { type: "ed25519" },
};

/** The signature algorithm openssl names for a certificate signed by a key of each algorithm. */
const SIGNATURE: Record<KeyAlgorithm, string> = {
  "ecdsa-p256": "ecdsa-with-SHA256",
  "ecdsa-p384": "ecdsa-with-SHA384",
  "rsa-3072": "sha256WithRSAEncryption",
  "rsa-4096": "sha256WithRSAEncryption",
  ed25519: "ED25519",
};

const CA_KEY_USAGE = ["Digital Signature", "Certificate Sign", "CRL Sign"];
const EKU = ["TLS Web Server Authentication", "TLS Web Client Authentication"];
const EKU_OIDS = ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"];

function validityDays(cert: X509Certificate): number {
  return (cert.validToDate.getTime() - cert.validFromDate.getTime()) / DAY_MS;
}

let session: EngineSession;
let pems: PemDir;
const made: Record<string, MadeMesh> = {};
const lintedCertificates: string[] = [];

beforeAll(async () => {
  session = await EngineSession.start("pki-certificates");
  pems = await PemDir.create("pki-certificates-pems");
  await zlintBinary();
});

afterAll(async () => {
  await session?.cleanup();
  await pems?.remove();
});

it("covers every supported key algorithm as a CA key and as a service key", () => {
  const caKeys = new Set(
    MESHES.flatMap((m) => [m.rootAlgorithm, ...(m.intermediate ? [m.intermediate.algorithm] : [])]),
  );
  const serviceKeys = new Set(Object.values(SERVICES).map((s) => s.keyAlgorithm));
  expect([...caKeys].sort()).toEqual([...KEY_ALGORITHMS].sort());
  expect([...serviceKeys].sort()).toEqual([...KEY_ALGORITHMS].sort());
});

it("zlint reports the problems of a known-bad certificate, so a clean report means something", async () => {
  const key = `${pems.dir}/bad.key`;
  const cert = `${pems.dir}/bad.pem`;
  const made = await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-subj",
    "/CN=bad-ca",
    "-addext",
    "basicConstraints=CA:TRUE",
    "-addext",
    "keyUsage=digitalSignature,keyCertSign",
  ]);
  expect(made.ok, made.output).toBe(true);
  const report = await zlint(pems, "bad", await readFile(cert, "utf8"));
  expect(report.problems.map((p) => `${p.lint} ${p.result}`).sort()).toEqual([
    "e_basic_constraints_not_critical error",
    "w_ext_key_usage_not_critical warn",
  ]);
});

describe.each(MESHES)("the $label mesh, made by the real engine", (mesh) => {
  let m: MadeMesh;
  const dir = () => `${mesh.label}`;
  const issuerAlgorithm = mesh.intermediate?.algorithm ?? mesh.rootAlgorithm;

  beforeAll(async () => {
    const stack = await session.projectStack({
      stackName: mesh.stackName,
      config: meshConfig(mesh, `${pems.dir}/${mesh.label}-certs`),
    });
    await stack.up();
    const outputs = await stack.outputs();
    expect(outputs.serviceKeyPems.secret).toBe(true);
    expect(outputs.services.secret).toBe(false);
    m = {
      stack,
      rootPem: outputs.trustBundlePem.value,
      issuerPem: outputs.issuerCertPem.value,
      services: outputs.services.value,
      keys: outputs.serviceKeyPems.value,
    };
    made[mesh.label] = m;
  });

  it("has one CA in the trust bundle and, in intermediate mode, a distinct issuer", () => {
    expect(pemBlocks(m.rootPem)).toHaveLength(1);
    expect(Object.keys(m.services).sort()).toEqual([...NAMES].sort());
    if (mesh.intermediate) {
      expect(m.issuerPem).not.toBe(m.rootPem);
    } else {
      expect(m.issuerPem).toBe(m.rootPem);
    }
  });

  it("root CA: self-signed, CA:TRUE critical, CA usages, SKI = AKI, 3650 days", async () => {
    const root = new X509Certificate(m.rootPem);
    const text = await opensslText(pems, `${dir()}-root`, m.rootPem);
    const bc = text.extensions["Basic Constraints"];

    expect(root.ca).toBe(true);
    expect(root.subject).toBe(["C=US", "O=Ashchan", "CN=ashchan-ca"].join("\n"));
    expect(root.issuer).toBe(root.subject);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(bc.critical).toBe(true);
    // The provider writes a path length only when it is positive (upstream's Go MaxPathLen rule), so the
    // program asks for 1 in both issuer modes: one CA level (the intermediate) may sit below the root.
    expect(bc.value).toBe("CA:TRUE, pathlen:1");
    expect(text.extensions["Key Usage"]).toEqual({
      critical: true,
      value: CA_KEY_USAGE.join(", "),
    });
    expect(text.extensions["Extended Key Usage"]).toBeUndefined();
    expect(keyId(text.extensions["Subject Key Identifier"])).toMatch(
      /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/,
    );
    expect(keyId(text.extensions["Authority Key Identifier"])).toBe(
      keyId(text.extensions["Subject Key Identifier"]),
    );
    expect(root.publicKey.asymmetricKeyType).toBe(NODE_KEY[mesh.rootAlgorithm].type);
    expect(root.publicKey.asymmetricKeyDetails).toMatchObject(
      NODE_KEY[mesh.rootAlgorithm].detail ?? {},
    );
    expect(text.signatureAlgorithm).toBe(SIGNATURE[mesh.rootAlgorithm]);
    expect(validityDays(root)).toBe(3650);
  });

  it.runIf(mesh.intermediate)(
    "intermediate CA: signed by the root, CA:TRUE critical, CA usages, AKI = root SKI, its validity",
    async () => {
      const root = new X509Certificate(m.rootPem);
      const inter = new X509Certificate(m.issuerPem);
      const rootText = await opensslText(pems, `${dir()}-root`, m.rootPem);
      const text = await opensslText(pems, `${dir()}-intermediate`, m.issuerPem);

      expect(inter.ca).toBe(true);
      expect(inter.subject).toBe(["C=US", "O=Ashchan", "CN=ashchan-ca-issuer"].join("\n"));
      expect(inter.issuer).toBe(root.subject);
      expect(inter.subject).not.toBe(inter.issuer);
      expect(inter.checkIssued(root)).toBe(true);
      expect(inter.verify(root.publicKey)).toBe(true);
      // maxPathLength 0 is asked for; the provider cannot write pathlen:0 (see the root's case), and the
      // root's pathlen:1 is what bounds the chain (proved in the pki-handshakes suite's sub-CA case).
      expect(text.extensions["Basic Constraints"]).toEqual({ critical: true, value: "CA:TRUE" });
      expect(text.extensions["Key Usage"]).toEqual({
        critical: true,
        value: CA_KEY_USAGE.join(", "),
      });
      expect(keyId(text.extensions["Subject Key Identifier"])).toMatch(
        /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/,
      );
      expect(keyId(text.extensions["Authority Key Identifier"])).toBe(
        keyId(rootText.extensions["Subject Key Identifier"]),
      );
      expect(inter.publicKey.asymmetricKeyType).toBe(NODE_KEY[mesh.intermediate!.algorithm].type);
      expect(text.signatureAlgorithm).toBe(SIGNATURE[mesh.rootAlgorithm]);
      expect(validityDays(inter)).toBe(mesh.intermediate!.validityDays);

      const verified = await openssl([
        "verify",
        "-x509_strict",
        "-CAfile",
        await pems.write(`${dir()}-bundle.pem`, m.rootPem),
        await pems.write(`${dir()}-intermediate.pem`, m.issuerPem),
      ]);
      expect(verified.output).toContain(": OK");
    },
  );

  describe.each(NAMES)("service %s", (name) => {
    const spec = SERVICES[name];
    let leaf: X509Certificate;
    let text: OpensslCertificate;
    let issuerText: OpensslCertificate;

    beforeAll(async () => {
      leaf = new X509Certificate(m.services[name].certPem);
      text = await opensslText(pems, `${dir()}-${name}`, m.services[name].certPem);
      issuerText = await opensslText(pems, `${dir()}-issuer`, m.issuerPem);
    });

    it("SANs: name, localhost, qualified name, extra DNS names and IPs, SPIFFE URI", () => {
      const sans = expectedSans(name);
      expect(leaf.subjectAltName?.split(", ").sort()).toEqual([...sans].sort());
      expect(items(text.extensions["Subject Alternative Name"]).sort()).toEqual([...sans].sort());
      expect(text.extensions["Subject Alternative Name"].critical).toBe(false);
      expect(m.services[name].spiffeId).toBe(`spiffe://${TRUST_DOMAIN}/service/${name}`);
    });

    it("usages: digitalSignature (+ keyEncipherment for RSA) critical; serverAuth and clientAuth", () => {
      const usage = spec.keyAlgorithm.startsWith("rsa-")
        ? ["Digital Signature", "Key Encipherment"]
        : ["Digital Signature"];
      expect(text.extensions["Key Usage"]).toEqual({ critical: true, value: usage.join(", ") });
      expect(items(text.extensions["Extended Key Usage"])).toEqual(EKU);
      expect(leaf.keyUsage).toEqual(EKU_OIDS);
    });

    it("a leaf: CA:FALSE critical, SKI set, AKI = issuer SKI, subject differs from issuer", () => {
      expect(leaf.ca).toBe(false);
      expect(text.extensions["Basic Constraints"]).toEqual({ critical: true, value: "CA:FALSE" });
      expect(keyId(text.extensions["Subject Key Identifier"])).toMatch(
        /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/,
      );
      expect(keyId(text.extensions["Authority Key Identifier"])).toBe(
        keyId(issuerText.extensions["Subject Key Identifier"]),
      );
      expect(leaf.subject).toBe(["C=US", "O=Ashchan", `CN=${name}`].join("\n"));
      expect(leaf.issuer).toBe(new X509Certificate(m.issuerPem).subject);
      expect(leaf.subject).not.toBe(leaf.issuer);
      expect(leaf.checkIssued(new X509Certificate(m.issuerPem))).toBe(true);
    });

    it("key and signature: the configured algorithm, signed by the issuer's, 365 days", () => {
      expect(leaf.publicKey.asymmetricKeyType).toBe(NODE_KEY[spec.keyAlgorithm].type);
      expect(leaf.publicKey.asymmetricKeyDetails).toMatchObject(
        NODE_KEY[spec.keyAlgorithm].detail ?? {},
      );
      expect(leaf.checkPrivateKey(createPrivateKey(m.keys[name]))).toBe(true);
      expect(text.signatureAlgorithm).toBe(SIGNATURE[issuerAlgorithm]);
      expect(validityDays(leaf)).toBe(365);
      expect(new Date(m.services[name].notAfter).getTime()).toBe(leaf.validToDate.getTime());
    });

    it("chain: the leaf, then the intermediate when there is one, never the root", () => {
      const blocks = pemBlocks(m.services[name].chainPem);
      const expected = mesh.intermediate
        ? [m.services[name].certPem, m.issuerPem]
        : [m.services[name].certPem];
      expect(blocks.map((b) => b.trim())).toEqual(expected.map((b) => b.trim()));
      expect(blocks.map((b) => b.trim())).not.toContain(m.rootPem.trim());
    });

    it("passes openssl verify (strict, as TLS server and as client) against the bundle", async () => {
      const bundle = await pems.write(`${dir()}-bundle.pem`, m.rootPem);
      const certFile = await pems.write(`${dir()}-${name}.pem`, m.services[name].certPem);
      const chain = mesh.intermediate
        ? ["-untrusted", await pems.write(`${dir()}-${name}-chain.pem`, m.services[name].chainPem)]
        : [];
      for (const purpose of ["sslserver", "sslclient"]) {
        const result = await openssl([
          "verify",
          "-x509_strict",
          "-purpose",
          purpose,
          "-CAfile",
          bundle,
          ...chain,
          certFile,
        ]);
        expect(result.output).toContain(`${certFile}: OK`);
        expect(result.ok).toBe(true);
      }
      if (mesh.intermediate) {
        // Without the intermediate the path cannot be built: the chain PEM is what makes it verify.
        const alone = await openssl(["verify", "-CAfile", bundle, certFile]);
        expect(alone.ok).toBe(false);
        expect(alone.output).toContain("unable to get local issuer certificate");
      }
    });
  });

  it("every ordered pair of the five algorithms completes a TLS 1.3 mutual handshake", async () => {
    const failures: string[] = [];
    let count = 0;
    for (const server of NAMES) {
      for (const client of NAMES) {
        const result = await mutualHandshake(
          { certPem: m.services[server].chainPem, keyPem: m.keys[server], caPem: m.rootPem },
          { certPem: m.services[client].chainPem, keyPem: m.keys[client], caPem: m.rootPem },
          `${server}.${TRUST_DOMAIN}`,
        );
        count++;
        const good =
          result.ok &&
          result.protocol === "TLSv1.3" &&
          result.serverSawClient === m.services[client].spiffeId &&
          result.clientSawServer === m.services[server].spiffeId;
        if (!good) failures.push(`${client} -> ${server}: ${JSON.stringify(result)}`);
      }
    }
    expect(count).toBe(25);
    expect(failures).toEqual([]);
  });

  it("zlint: no warning or error from the RFC 5280 and RFC 5480 lints on any certificate", async () => {
    const certs: Record<string, string> = {
      root: m.rootPem,
      ...(mesh.intermediate ? { intermediate: m.issuerPem } : {}),
      ...Object.fromEntries(NAMES.map((n) => [n, m.services[n].certPem])),
    };
    const known = await lintNames(RFC_SOURCES);
    const problems: string[] = [];
    for (const [name, pem] of Object.entries(certs)) {
      const report = await zlint(pems, `${dir()}-${name}`, pem);
      // Every lint of the two sources ran on the certificate, and no other.
      expect(Object.keys(report.results).sort()).toEqual([...known].sort());
      for (const p of report.problems) {
        problems.push(`${name}: ${p.lint} ${p.result}${p.details ? ` (${p.details})` : ""}`);
      }
      lintedCertificates.push(`${mesh.label}/${name}`);
    }
    expect(problems).toEqual([]);
  });

  it("keeps every private key out of the exported state in plain text", async () => {
    const exported = JSON.stringify(await m.stack.exportState());
    expect(exported).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
    for (const name of NAMES) expect(exported).not.toContain(m.keys[name].split("\n")[1]);
  });
});

it("linted every certificate of the three meshes", async () => {
  const { version } = await zlintBinary();
  const known = await lintNames(RFC_SOURCES);
  // Three roots, two intermediates, fifteen leaves.
  expect(lintedCertificates).toHaveLength(20);
  console.info(
    `zlint ${version}: ${known.length} lints (${RFC_SOURCES.join(", ")}) on ${lintedCertificates.length} certificates`,
  );
  expect(Object.keys(made)).toHaveLength(3);
});
