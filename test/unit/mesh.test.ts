import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KEY_ALGORITHMS } from "../../rules/tls";
import { MeshConfig, REFERENCE_SERVICES, parseMeshConfig } from "../../components/config";
import { Mesh } from "../../components/mesh";
import { meshStackOutputs } from "../../components/outputs";
import { ServiceIdentity } from "../../components/serviceIdentity";
import {
  MockHarness,
  Recorded,
  fixturePem,
  installMocks,
  mockCsrPem,
  mockKeyPem,
  settle,
  valueOf,
} from "./mocks";

const KEY = "tls:index/privateKey:PrivateKey";
const CSR = "tls:index/certRequest:CertRequest";
const SELF = "tls:index/selfSignedCert:SelfSignedCert";
const SIGNED = "tls:index/locallySignedCert:LocallySignedCert";
const SUBJECT = { organization: "Ashchan", country: "US" };
const ROOT_PEM = () => fixturePem("root-p384");
const ISSUER_PEM = () => fixturePem("issuer-ed25519");
const LEAF_PEM = () => fixturePem("leaf-p256");

let mocks: MockHarness;
beforeAll(async () => {
  mocks = await installMocks();
});
beforeEach(() => mocks.reset());

const config = (values: Record<string, unknown> = {}): MeshConfig =>
  parseMeshConfig(
    Object.fromEntries(
      Object.entries(values).map(([k, v]) => [
        `mesh-pki:${k}`,
        typeof v === "string" ? v : JSON.stringify(v),
      ]),
    ),
  );

/** Builds a mesh and waits until every resource of it has registered. */
async function build(cfg: MeshConfig): Promise<Mesh> {
  const mesh = new Mesh("mesh", { config: cfg });
  const out = meshStackOutputs(mesh);
  await settle(out.services, out.serviceKeyPems, mesh.urn, mesh.rootCa.urn);
  return mesh;
}

const byName = (name: string): Recorded => {
  const found = mocks.resources.filter((r) => r.name === name);
  expect(found, `resources named ${name}`).toHaveLength(1);
  return found[0];
};
const tree = () => mocks.resources.map((r) => `${r.type} ${r.name} <- ${r.parent}`).sort();

function serviceTree(service: string): string[] {
  const id = `mesh-${service}`;
  return [
    `mesh-pki:pki:ServiceIdentity ${id} <- mesh`,
    `${KEY} ${id}-key <- ${id}`,
    `${CSR} ${id}-csr <- ${id}`,
    `${SIGNED} ${id}-cert <- ${id}`,
  ];
}

const rootTree = [
  "mesh-pki:pki:Mesh mesh <- ",
  "mesh-pki:pki:RootCa mesh-ca <- mesh",
  `${KEY} mesh-ca-key <- mesh-ca`,
  `${SELF} mesh-ca-cert <- mesh-ca`,
];
const intermediateTree = [
  "mesh-pki:pki:IntermediateCa mesh-issuer <- mesh",
  `${KEY} mesh-issuer-key <- mesh-issuer`,
  `${CSR} mesh-issuer-csr <- mesh-issuer`,
  `${SIGNED} mesh-issuer-cert <- mesh-issuer`,
];

function rootCertInputs(maxPathLength: number) {
  return {
    privateKeyPem: { secret: mockKeyPem("mesh-ca-key") },
    subject: { commonName: "ashchan-ca", ...SUBJECT },
    isCaCertificate: true,
    maxPathLength,
    allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
    setSubjectKeyId: true,
    setAuthorityKeyId: true,
    validityPeriodHours: 87600,
    earlyRenewalHours: 8760,
  };
}

function leafInputs(service: string, issuer: "mesh-ca" | "mesh-issuer") {
  return {
    csr: {
      privateKeyPem: { secret: mockKeyPem(`mesh-${service}-key`) },
      subject: { commonName: service, ...SUBJECT },
      dnsNames: [service, "localhost", `${service}.ashchan.local`],
      ipAddresses: [],
      uris: [`spiffe://ashchan.local/service/${service}`],
    },
    cert: {
      certRequestPem: mockCsrPem(`mesh-${service}-csr`),
      caCertPem: issuer === "mesh-ca" ? ROOT_PEM() : ISSUER_PEM(),
      caPrivateKeyPem: { secret: mockKeyPem(`${issuer}-key`) },
      isCaCertificate: false,
      allowedUses: ["digital_signature", "server_auth", "client_auth"],
      setSubjectKeyId: true,
      validityPeriodHours: 8760,
      earlyRenewalHours: 720,
    },
  };
}

describe("the reference mesh", () => {
  it("declares exactly the root and six identities, each child parented to its component", async () => {
    await build(config());

    expect(mocks.resources).toHaveLength(4 + 6 * 4);
    expect(tree()).toEqual([...rootTree, ...REFERENCE_SERVICES.flatMap(serviceTree)].sort());
  });

  it("gives the root an explicit P-256 key and CA constraints without an intermediate", async () => {
    await build(config());

    expect(byName("mesh-ca-key").inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    expect(byName("mesh-ca-cert").inputs).toEqual(rootCertInputs(1));
  });

  it.each(REFERENCE_SERVICES)(
    "signs %s with the root, with the design's SANs and usages",
    async (s) => {
      await build(config());

      const expected = leafInputs(s, "mesh-ca");
      expect(byName(`mesh-${s}-key`).inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
      expect(byName(`mesh-${s}-csr`).inputs).toEqual(expected.csr);
      expect(byName(`mesh-${s}-cert`).inputs).toEqual(expected.cert);
    },
  );
});

describe("issuer mode", () => {
  it("intermediate on: the intermediate signs the services, the root has path length 1", async () => {
    const mesh = await build(config({ issuer: { mode: "intermediate" } }));

    expect(mocks.resources).toHaveLength(8 + 6 * 4);
    expect(tree()).toEqual(
      [...rootTree, ...intermediateTree, ...REFERENCE_SERVICES.flatMap(serviceTree)].sort(),
    );
    expect(byName("mesh-ca-cert").inputs).toEqual(rootCertInputs(1));
    expect(byName("mesh-issuer-key").inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    expect(byName("mesh-issuer-csr").inputs).toEqual({
      privateKeyPem: { secret: mockKeyPem("mesh-issuer-key") },
      subject: { commonName: "ashchan-ca-issuer", ...SUBJECT },
    });
    expect(byName("mesh-issuer-cert").inputs).toEqual({
      certRequestPem: mockCsrPem("mesh-issuer-csr"),
      caCertPem: ROOT_PEM(),
      caPrivateKeyPem: { secret: mockKeyPem("mesh-ca-key") },
      isCaCertificate: true,
      maxPathLength: 0,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      setSubjectKeyId: true,
      validityPeriodHours: 1825 * 24,
      earlyRenewalHours: 180 * 24,
    });
    for (const s of REFERENCE_SERVICES) {
      expect(byName(`mesh-${s}-cert`).inputs).toEqual(leafInputs(s, "mesh-issuer").cert);
    }

    expect(mesh.intermediateCa).toBeDefined();
    expect(await valueOf(mesh.trustBundlePem)).toBe(ROOT_PEM());
    expect(await valueOf(mesh.issuerCertPem)).toBe(ISSUER_PEM());
    expect(await valueOf(mesh.services.gateway.chainPem)).toBe(LEAF_PEM() + ISSUER_PEM());
  });

  it("intermediate off: no intermediate, the chain is the leaf alone", async () => {
    const mesh = await build(config({ issuer: { mode: "root" } }));

    expect(mocks.resources.filter((r) => r.name.startsWith("mesh-issuer"))).toEqual([]);
    expect(mesh.intermediateCa).toBeUndefined();
    expect(await valueOf(mesh.issuerCertPem)).toBe(ROOT_PEM());
    expect(await valueOf(mesh.trustBundlePem)).toBe(ROOT_PEM());
    expect(await valueOf(mesh.services.auth.chainPem)).toBe(LEAF_PEM());
  });

  it("takes the intermediate's own settings", async () => {
    await build(
      config({
        issuer: {
          mode: "intermediate",
          commonName: "mesh-signer",
          keyAlgorithm: "ecdsa-p384",
          validityDays: 730,
          renewBeforeDays: 60,
        },
      }),
    );

    expect(byName("mesh-issuer-key").inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P384" });
    expect(byName("mesh-issuer-csr").inputs.subject).toEqual({
      commonName: "mesh-signer",
      ...SUBJECT,
    });
    expect(byName("mesh-issuer-cert").inputs).toMatchObject({
      validityPeriodHours: 730 * 24,
      earlyRenewalHours: 60 * 24,
    });
  });
});

describe("key algorithms", () => {
  const table = [
    ["ecdsa-p256", { algorithm: "ECDSA", ecdsaCurve: "P256" }, false],
    ["ecdsa-p384", { algorithm: "ECDSA", ecdsaCurve: "P384" }, false],
    ["rsa-3072", { algorithm: "RSA", rsaBits: 3072 }, true],
    ["rsa-4096", { algorithm: "RSA", rsaBits: 4096 }, true],
    ["ed25519", { algorithm: "ED25519" }, false],
  ] as const;

  it("the table covers every supported algorithm", () => {
    expect(table.map((t) => t[0])).toEqual([...KEY_ALGORITHMS]);
  });

  it.each(table)("%s for a service: key inputs and usages", async (alg, keyInputs, rsa) => {
    await build(config({ services: { gateway: { keyAlgorithm: alg }, auth: {} } }));

    expect(mocks.resources).toHaveLength(4 + 2 * 4);
    expect(byName("mesh-gateway-key").inputs).toEqual(keyInputs);
    expect(byName("mesh-gateway-cert").inputs.allowedUses).toEqual(
      rsa
        ? ["digital_signature", "key_encipherment", "server_auth", "client_auth"]
        : ["digital_signature", "server_auth", "client_auth"],
    );
    expect(byName("mesh-auth-key").inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
  });

  it.each(table)("%s for the root and the intermediate", async (alg, keyInputs) => {
    await build(
      config({
        ca: { keyAlgorithm: alg },
        issuer: { mode: "intermediate", keyAlgorithm: alg },
        services: { gateway: {} },
      }),
    );

    expect(byName("mesh-ca-key").inputs).toEqual(keyInputs);
    expect(byName("mesh-issuer-key").inputs).toEqual(keyInputs);
    expect(byName("mesh-ca-cert").inputs.allowedUses).toEqual([
      "cert_signing",
      "crl_signing",
      "digital_signature",
    ]);
  });
});

describe("extra SANs and windows", () => {
  it("adds configured DNS names and IPs after the defaults", async () => {
    const mesh = await build(
      config({
        trustDomain: "mesh.example",
        services: {
          gateway: { dnsNames: ["api.mesh.example", "gw"], ipAddresses: ["10.0.0.5", "fd00::5"] },
          search: { ipAddresses: ["127.0.0.1"] },
        },
      }),
    );

    expect(byName("mesh-gateway-csr").inputs).toMatchObject({
      dnsNames: ["gateway", "localhost", "gateway.mesh.example", "api.mesh.example", "gw"],
      ipAddresses: ["10.0.0.5", "fd00::5"],
      uris: ["spiffe://mesh.example/service/gateway"],
    });
    expect(byName("mesh-search-csr").inputs).toMatchObject({
      dnsNames: ["search", "localhost", "search.mesh.example"],
      ipAddresses: ["127.0.0.1"],
    });
    expect(mesh.services.gateway.spiffeId).toBe("spiffe://mesh.example/service/gateway");
  });

  it.each([
    [90, 10],
    [398, 30],
    [2, 1],
  ])("validity %i d, renew-before %i d become hours", async (validityDays, renewBeforeDays) => {
    // Alert thresholds must sit inside the shortest renewal window, so short windows bring their own.
    const alerts = { criticalDaysBeforeExpiry: renewBeforeDays / 4, rotationOverdueFor: "1h" };
    await build(config({ services: { media: { validityDays, renewBeforeDays } }, alerts }));

    expect(byName("mesh-media-cert").inputs).toMatchObject({
      validityPeriodHours: validityDays * 24,
      earlyRenewalHours: renewBeforeDays * 24,
    });
  });
});

describe("outputs", () => {
  it("exports public values plain, keys as one secret map, facts from the certificate", async () => {
    const mesh = await build(
      config({ services: { gateway: { ipAddresses: ["10.0.0.5"] }, auth: {} } }),
    );
    const out = meshStackOutputs(mesh);

    expect(await pulumi.isSecret(out.services)).toBe(false);
    expect(await pulumi.isSecret(out.trustBundlePem)).toBe(false);
    expect(await pulumi.isSecret(out.issuerCertPem)).toBe(false);
    expect(await pulumi.isSecret(out.serviceKeyPems)).toBe(true);
    expect(await valueOf(out.serviceKeyPems)).toEqual({
      gateway: mockKeyPem("mesh-gateway-key"),
      auth: mockKeyPem("mesh-auth-key"),
    });
    expect(await valueOf(out.services)).toEqual({
      gateway: {
        certPem: LEAF_PEM(),
        chainPem: LEAF_PEM(),
        spiffeId: "spiffe://ashchan.local/service/gateway",
        dnsNames: ["gateway", "localhost", "gateway.ashchan.local"],
        ipAddresses: ["10.0.0.5"],
        serialNumber: "0A1B2C3D",
        fingerprintSha256:
          "FF:04:9B:6C:A4:C2:5D:35:6F:41:C7:8F:E4:B4:84:68:34:D6:7F:B2:24:C2:9B:65:B4:15:70:68:9E:95:F8:98",
        spkiPinSha256: "VltRd102eobJc6Md7tsehxxTQQUkPHVsLreSFQkpYx4=",
        notBefore: "2026-12-03T13:53:31.000Z",
        notAfter: "2036-11-30T13:53:31.000Z",
      },
      auth: expect.objectContaining({ spiffeId: "spiffe://ashchan.local/service/auth" }),
    });
  });

  it("keeps every private key secret on the components", async () => {
    const mesh = await build(
      config({ issuer: { mode: "intermediate" }, services: { gateway: {} } }),
    );

    expect(await pulumi.isSecret(mesh.rootCa.privateKeyPem)).toBe(true);
    expect(await pulumi.isSecret(mesh.intermediateCa!.privateKeyPem)).toBe(true);
    expect(await pulumi.isSecret(mesh.services.gateway.privateKeyPem)).toBe(true);
    expect(await pulumi.isSecret(mesh.services.gateway.certPem)).toBe(false);
  });
});

describe("component argument checks", () => {
  const issuer = {
    commonName: "ca",
    certPem: pulumi.output("ca-pem"),
    privateKeyPem: pulumi.secret("ca-key"),
    chainPem: pulumi.output(""),
  };
  const base = { serviceName: "gateway", trustDomain: "ashchan.local", issuer };

  it.each([
    [{ serviceName: "Gateway" }, /serviceName "Gateway" is not a DNS label/],
    [{ serviceName: "ca" }, /equals the issuer's common name/],
    [{ trustDomain: "bad domain" }, /trustDomain "bad domain" is not a DNS name/],
    [{ dnsNames: ["*.x.local"] }, /dnsNames entry "\*\.x\.local".*wildcards are refused/],
    [{ ipAddresses: ["1.2.3"] }, /ipAddresses entry "1.2.3" is not an IP address/],
    [{ validityDays: 400 }, /validityDays 400 is above the 398-day ceiling/],
    [{ validityDays: 30, renewBeforeDays: 30 }, /must be shorter than validityDays/],
    [{ keyAlgorithm: "rsa-2048" }, /keyAlgorithm "rsa-2048" is unknown/],
  ])("ServiceIdentity refuses %j before registering anything", async (override, message) => {
    expect(() => new ServiceIdentity("svc", { ...base, ...(override as object) })).toThrow(message);
    await new Promise((r) => setTimeout(r, 10));
    expect(mocks.resources).toEqual([]);
  });
});

describe("invokes", () => {
  it("an unexpected invoke throws", async () => {
    await expect(
      pulumi.runtime.invoke("tls:index/getCertificate:getCertificate", { url: "https://x" }),
    ).rejects.toThrow(/unexpected invoke tls:index\/getCertificate:getCertificate/);
  });
});
