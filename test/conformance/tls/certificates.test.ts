// Conformance of CertRequest, SelfSignedCert and LocallySignedCert through the real engine: for each key
// algorithm a CA and a leaf signed from a request, compared by structure (extensions and their
// criticality, usages, validity arithmetic, identifiers, subjects and SANs) with Node's
// crypto.X509Certificate and `openssl x509 -text`.

import * as crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineSession, TestStack } from "../../support/engine";
import {
  hours,
  openssl,
  opensslExtensions,
  opensslHex,
  opensslSignatureAlgorithm,
  opensslVerify,
  readOutputs,
  ref,
  ResourceSpec,
  scenarioStack,
  text,
  upstreamKeyId,
} from "./scenario";

interface AlgorithmCase {
  readonly name: string;
  readonly keyArgs: Record<string, unknown>;
  readonly keyAlgorithm: string;
  /** The signature algorithm Go's crypto/x509 picks for a key of this kind, as openssl names it. */
  readonly signature: string;
  readonly rsa: boolean;
}

const algorithmCases: readonly AlgorithmCase[] = [
  {
    name: "rsa",
    keyArgs: { algorithm: "RSA" },
    keyAlgorithm: "RSA",
    signature: "sha256WithRSAEncryption",
    rsa: true,
  },
  {
    name: "p224",
    keyArgs: { algorithm: "ECDSA" },
    keyAlgorithm: "ECDSA",
    signature: "ecdsa-with-SHA256",
    rsa: false,
  },
  {
    name: "p256",
    keyArgs: { algorithm: "ECDSA", ecdsaCurve: "P256" },
    keyAlgorithm: "ECDSA",
    signature: "ecdsa-with-SHA256",
    rsa: false,
  },
  {
    name: "p384",
    keyArgs: { algorithm: "ECDSA", ecdsaCurve: "P384" },
    keyAlgorithm: "ECDSA",
    signature: "ecdsa-with-SHA384",
    rsa: false,
  },
  {
    name: "p521",
    keyArgs: { algorithm: "ECDSA", ecdsaCurve: "P521" },
    keyAlgorithm: "ECDSA",
    signature: "ecdsa-with-SHA512",
    rsa: false,
  },
  {
    name: "ed25519",
    keyArgs: { algorithm: "ED25519" },
    keyAlgorithm: "ED25519",
    signature: "ED25519",
    rsa: false,
  },
];

const caHours = 87600;
const leafHours = 8760;
const spiffe = "spiffe://ashchan.local/service/gateway";

function resourcesFor(c: AlgorithmCase): ResourceSpec[] {
  return [
    { name: `${c.name}-ca-key`, kind: "PrivateKey", args: c.keyArgs },
    {
      name: `${c.name}-ca`,
      kind: "SelfSignedCert",
      args: {
        privateKeyPem: ref(`${c.name}-ca-key.privateKeyPem`),
        validityPeriodHours: caHours,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        isCaCertificate: true,
        setAuthorityKeyId: true,
        subject: { commonName: `${c.name} root`, organization: "mesh-pki" },
      },
    },
    { name: `${c.name}-leaf-key`, kind: "PrivateKey", args: c.keyArgs },
    {
      name: `${c.name}-csr`,
      kind: "CertRequest",
      args: {
        privateKeyPem: ref(`${c.name}-leaf-key.privateKeyPem`),
        subject: { commonName: "gateway", organization: "ashchan" },
        dnsNames: ["gateway", "localhost"],
        ipAddresses: ["127.0.0.1", "::1"],
        uris: [spiffe],
      },
    },
    {
      name: `${c.name}-leaf`,
      kind: "LocallySignedCert",
      args: {
        certRequestPem: ref(`${c.name}-csr.certRequestPem`),
        caPrivateKeyPem: ref(`${c.name}-ca-key.privateKeyPem`),
        caCertPem: ref(`${c.name}-ca.certPem`),
        validityPeriodHours: leafHours,
        earlyRenewalHours: 720,
        allowedUses: [
          "digital_signature",
          ...(c.rsa ? ["key_encipherment"] : []),
          "server_auth",
          "client_auth",
        ],
      },
    },
  ];
}

const shapeResources: ResourceSpec[] = [
  {
    name: "bare-self-signed",
    kind: "SelfSignedCert",
    args: {
      privateKeyPem: ref("p256-leaf-key.privateKeyPem"),
      validityPeriodHours: 24,
      allowedUses: ["server_auth"],
      dnsNames: ["bare.example"],
    },
  },
  ...[0, 2].map((maxPathLength) => ({
    name: `ca-pathlen-${maxPathLength}`,
    kind: "SelfSignedCert" as const,
    args: {
      privateKeyPem: ref("p256-ca-key.privateKeyPem"),
      validityPeriodHours: 48,
      allowedUses: ["cert_signing"],
      isCaCertificate: true,
      maxPathLength,
      subject: { commonName: `pathlen ${maxPathLength}` },
    },
  })),
  {
    name: "leaf-with-ski",
    kind: "LocallySignedCert",
    args: {
      certRequestPem: ref("p256-csr.certRequestPem"),
      caPrivateKeyPem: ref("p256-ca-key.privateKeyPem"),
      caCertPem: ref("p256-ca.certPem"),
      validityPeriodHours: 1,
      allowedUses: ["client_auth"],
      setSubjectKeyId: true,
    },
  },
];

let session: EngineSession;
let stack: TestStack;
let out: Record<string, unknown>;
let secrets: Set<string>;

beforeAll(async () => {
  session = await EngineSession.start("tls-certs");
  stack = await scenarioStack(session, "tls-certs", [
    ...algorithmCases.flatMap(resourcesFor),
    ...shapeResources,
  ]);
  await stack.up();
  ({ values: out, secrets } = await readOutputs(stack));
});

afterAll(async () => {
  await session?.cleanup();
});

const x509 = (pem: string) => new crypto.X509Certificate(pem);
const str = (key: string) => text(out, key);

/** Validity as stored in state and as written in the certificate agree, and span `h` hours exactly. */
function expectValidity(prefix: string, h: number) {
  const cert = x509(str(`${prefix}_certPem`));
  const start = Date.parse(str(`${prefix}_validityStartTime`));
  const end = Date.parse(str(`${prefix}_validityEndTime`));

  expect(out[`${prefix}_validityStartTime`]).toMatch(
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/,
  );
  expect(end - start).toBe(hours(h));
  expect(Date.parse(cert.validFrom)).toBe(Math.floor(start / 1000) * 1000);
  expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(hours(h));
  expect(Math.abs(start - Date.now())).toBeLessThan(hours(1));
}

describe.each(algorithmCases)("tls certificates with $name keys", (c) => {
  const caPem = () => str(`${c.name}-ca_certPem`);
  const leafPem = () => str(`${c.name}-leaf_certPem`);
  const caKey = () => crypto.createPublicKey(str(`${c.name}-ca-key_publicKeyPem`));

  it("self-signed CA: constraints, usages, identifiers, subject", () => {
    const cert = x509(caPem());
    const ext = opensslExtensions(caPem());
    const ski = opensslHex(upstreamKeyId(caKey()));

    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe(`O=mesh-pki\nCN=${c.name} root`);
    expect(cert.issuer).toBe(cert.subject);
    expect(ext["X509v3 Basic Constraints"]).toEqual({ critical: true, value: "CA:TRUE" });
    expect(ext["X509v3 Key Usage"]).toEqual({
      critical: true,
      value: "Digital Signature, Certificate Sign, CRL Sign",
    });
    expect(ext["X509v3 Extended Key Usage"]).toBeUndefined();
    expect(ext["X509v3 Subject Key Identifier"]).toEqual({ critical: false, value: ski });
    expect(ext["X509v3 Authority Key Identifier"]).toEqual({ critical: false, value: ski });
    expect(ext["X509v3 Subject Alternative Name"]).toBeUndefined();
    expect(Object.keys(ext).sort()).toEqual([
      "X509v3 Authority Key Identifier",
      "X509v3 Basic Constraints",
      "X509v3 Key Usage",
      "X509v3 Subject Key Identifier",
    ]);
    expect(opensslSignatureAlgorithm(caPem())).toBe(c.signature);
    expect(cert.verify(caKey())).toBe(true);
  });

  it("self-signed CA: state outputs", () => {
    const cert = x509(caPem());

    expect(out[`${c.name}-ca_keyAlgorithm`]).toBe(c.keyAlgorithm);
    expect(out[`${c.name}-ca_readyForRenewal`]).toBe(false);
    expect(out[`${c.name}-ca_earlyRenewalHours`]).toBe(0);
    expect(out[`${c.name}-ca_isCaCertificate`]).toBe(true);
    expect(out[`${c.name}-ca_setSubjectKeyId`]).toBe(false);
    expect(out[`${c.name}-ca_id`]).toBe(BigInt(`0x${cert.serialNumber}`).toString(10));
    expect(cert.serialNumber.length).toBeLessThanOrEqual(34);
    expect(secrets.has(`${c.name}-ca_privateKeyPem`)).toBe(true);
    expect(secrets.has(`${c.name}-ca_certPem`)).toBe(false);
    expectValidity(`${c.name}-ca`, caHours);
  });

  it("certificate request: subject, SANs, signature", () => {
    const pem = str(`${c.name}-csr_certRequestPem`);
    const text = openssl(["req", "-noout", "-text", "-verify"], pem);

    expect(out[`${c.name}-csr_keyAlgorithm`]).toBe(c.keyAlgorithm);
    expect(text).toMatch(/Subject: O ?= ?ashchan, CN ?= ?gateway\n/);
    expect(text).toContain(
      `DNS:gateway, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, URI:${spiffe}`,
    );
    expect(secrets.has(`${c.name}-csr_privateKeyPem`)).toBe(true);
  });

  it("leaf signed by the CA: verifies, usages, SANs from the request, AKI = issuer SKI", () => {
    const cert = x509(leafPem());
    const ext = opensslExtensions(leafPem());
    const caExt = opensslExtensions(caPem());

    expect(opensslVerify(caPem(), leafPem())).toBe("leaf.pem: OK");
    expect(cert.checkIssued(x509(caPem()))).toBe(true);
    expect(cert.verify(caKey())).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe("O=ashchan\nCN=gateway");
    expect(cert.issuer).toBe(x509(caPem()).subject);
    expect(cert.subjectAltName).toBe(
      `DNS:gateway, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, URI:${spiffe}`,
    );
    expect(ext["X509v3 Basic Constraints"]).toEqual({ critical: true, value: "CA:FALSE" });
    expect(ext["X509v3 Key Usage"]).toEqual({
      critical: true,
      value: c.rsa ? "Digital Signature, Key Encipherment" : "Digital Signature",
    });
    expect(ext["X509v3 Extended Key Usage"]).toEqual({
      critical: false,
      value: "TLS Web Server Authentication, TLS Web Client Authentication",
    });
    expect(ext["X509v3 Subject Alternative Name"]?.critical).toBe(false);
    expect(ext["X509v3 Authority Key Identifier"]).toEqual({
      critical: false,
      value: caExt["X509v3 Subject Key Identifier"]!.value,
    });
    expect(ext["X509v3 Subject Key Identifier"]).toBeUndefined();
    expect(opensslSignatureAlgorithm(leafPem())).toBe(c.signature);
    expect(
      cert.publicKey
        .export({ format: "der", type: "spki" })
        .equals(
          crypto
            .createPublicKey(str(`${c.name}-leaf-key_publicKeyPem`))
            .export({ format: "der", type: "spki" }),
        ),
    ).toBe(true);
  });

  it("leaf: state outputs and validity", () => {
    expect(out[`${c.name}-leaf_caKeyAlgorithm`]).toBe(c.keyAlgorithm);
    expect(out[`${c.name}-leaf_readyForRenewal`]).toBe(false);
    expect(out[`${c.name}-leaf_earlyRenewalHours`]).toBe(720);
    expect(out[`${c.name}-leaf_id`]).toBe(BigInt(`0x${x509(leafPem()).serialNumber}`).toString(10));
    expect(secrets.has(`${c.name}-leaf_caPrivateKeyPem`)).toBe(true);
    expectValidity(`${c.name}-leaf`, leafHours);
  });
});

describe("tls certificate shapes", () => {
  it("a self-signed leaf without subject: CA:FALSE, critical SANs, no key identifiers", () => {
    const pem = str("bare-self-signed_certPem");
    const ext = opensslExtensions(pem);

    expect(x509(pem).subject ?? "").toBe("");
    expect(ext["X509v3 Basic Constraints"]).toEqual({ critical: true, value: "CA:FALSE" });
    expect(ext["X509v3 Key Usage"]).toBeUndefined();
    expect(ext["X509v3 Extended Key Usage"]).toEqual({
      critical: false,
      value: "TLS Web Server Authentication",
    });
    // Go marks the SAN extension critical when the subject is empty (RFC 5280 4.2.1.6).
    expect(ext["X509v3 Subject Alternative Name"]).toEqual({
      critical: true,
      value: "DNS:bare.example",
    });
    expect(ext["X509v3 Subject Key Identifier"]).toBeUndefined();
    expect(ext["X509v3 Authority Key Identifier"]).toBeUndefined();
    expectValidity("bare-self-signed", 24);
  });

  it.each([
    [0, "CA:TRUE"],
    [2, "CA:TRUE, pathlen:2"],
  ])("maxPathLength %d gives basic constraints %s", (maxPathLength, constraints) => {
    const pem = str(`ca-pathlen-${maxPathLength}_certPem`);

    expect(opensslExtensions(pem)["X509v3 Basic Constraints"]).toEqual({
      critical: true,
      value: constraints,
    });
    expect(opensslExtensions(pem)["X509v3 Authority Key Identifier"]).toBeUndefined();
  });

  it("setSubjectKeyId on a leaf adds its own key identifier", () => {
    const pem = str("leaf-with-ski_certPem");
    const leafKey = crypto.createPublicKey(str("p256-leaf-key_publicKeyPem"));

    expect(opensslExtensions(pem)["X509v3 Subject Key Identifier"]).toEqual({
      critical: false,
      value: opensslHex(upstreamKeyId(leafKey)),
    });
    expect(out["leaf-with-ski_setSubjectKeyId"]).toBe(true);
    expectValidity("leaf-with-ski", 1);
  });
});
