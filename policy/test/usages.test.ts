import { describe, expect, it } from "vitest";
import {
  caConstraints,
  keyEnciphermentOnlyForRsa,
  knownUsages,
  leafCannotSign,
  mtlsUsages,
} from "../usages";
import { caCert, key, leafCert, meshStack } from "./fixtures";
import {
  advisory,
  mandatory,
  notChecked,
  runResourcePolicy,
  runStackPolicy,
  UNKNOWN,
} from "./harness";

const leaf = "LocallySignedCert 'gateway-cert'";
const ca = "SelfSignedCert 'ashchan-ca-cert'";
const MTLS = ["digital_signature", "server_auth", "client_auth"];

describe("leaf-cannot-sign", () => {
  it.each([
    ["a mesh leaf", leafCert(), []],
    ["a CA", caCert(), []],
    [
      "a leaf with cert_signing",
      leafCert("gateway", { allowedUses: [...MTLS, "cert_signing"] }),
      mandatory(
        "leaf-cannot-sign",
        `${leaf}: a leaf certificate must not sign certificates; remove cert_signing from allowedUses.`,
      ),
    ],
    [
      "a leaf with crl_signing",
      leafCert("gateway", { allowedUses: [...MTLS, "crl_signing"] }),
      mandatory(
        "leaf-cannot-sign",
        `${leaf}: a leaf certificate must not sign certificates; remove crl_signing from allowedUses.`,
      ),
    ],
    [
      "a service identity that is a CA",
      leafCert("gateway", { isCaCertificate: true, allowedUses: [...MTLS, "cert_signing"] }),
      mandatory(
        "leaf-cannot-sign",
        `${leaf}: a CA certificate must not be a service identity; remove server_auth, client_auth from allowedUses and issue the service its own leaf certificate.`,
      ),
    ],
    [
      "usages unknown during preview",
      leafCert("gateway", { allowedUses: UNKNOWN }),
      advisory(
        "leaf-cannot-sign",
        notChecked(`${leaf}: whether a leaf can sign (allowedUses is unknown)`),
      ),
    ],
  ])("%s", async (_, cert, expected) => {
    expect(await runResourcePolicy(leafCannotSign, cert)).toEqual(expected);
  });
});

describe("ca-constraints", () => {
  it.each([
    ["the root CA", {}, []],
    [
      "no crl_signing",
      { allowedUses: ["cert_signing", "digital_signature"] },
      mandatory(
        "ca-constraints",
        `${ca}: a CA certificate needs crl_signing; add it to allowedUses.`,
      ),
    ],
    [
      "no cert_signing",
      { allowedUses: ["crl_signing"] },
      mandatory(
        "ca-constraints",
        `${ca}: a CA certificate needs cert_signing; add it to allowedUses.`,
      ),
    ],
    [
      "no path length",
      { maxPathLength: undefined },
      mandatory(
        "ca-constraints",
        `${ca}: a CA certificate needs a path length constraint; set maxPathLength (0 for an issuer that signs only leaves, 1 for a root above one intermediate).`,
      ),
    ],
    [
      "an unlimited path length",
      { maxPathLength: -1 },
      mandatory(
        "ca-constraints",
        `${ca}: a CA certificate needs a path length constraint; set maxPathLength (0 for an issuer that signs only leaves, 1 for a root above one intermediate).`,
      ),
    ],
    [
      "a path length unknown during preview",
      { maxPathLength: UNKNOWN },
      advisory(
        "ca-constraints",
        notChecked(`${ca}: the CA path length (maxPathLength is unknown)`),
      ),
    ],
  ])("%s", async (_, change, expected) => {
    expect(await runResourcePolicy(caConstraints, caCert("ashchan-ca-cert", change))).toEqual(
      expected,
    );
  });

  it("does not apply to leaves", async () => {
    expect(await runResourcePolicy(caConstraints, leafCert())).toEqual([]);
  });
});

describe("mtls-usages", () => {
  it.each([
    ["all three usages", MTLS, []],
    [
      "an RSA leaf's usages",
      ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
      [],
    ],
    [
      "no client_auth",
      ["digital_signature", "server_auth"],
      mandatory("mtls-usages", `${leaf}: a mesh leaf needs client_auth; add it to allowedUses.`),
    ],
    [
      "no server_auth",
      ["digital_signature", "client_auth"],
      mandatory("mtls-usages", `${leaf}: a mesh leaf needs server_auth; add it to allowedUses.`),
    ],
    [
      "nothing",
      [],
      mandatory(
        "mtls-usages",
        `${leaf}: a mesh leaf needs digital_signature, server_auth, client_auth; add them to allowedUses.`,
      ),
    ],
  ])("%s", async (_, allowedUses, expected) => {
    expect(await runResourcePolicy(mtlsUsages, leafCert("gateway", { allowedUses }))).toEqual(
      expected,
    );
  });

  it("does not apply to CAs", async () => {
    expect(await runResourcePolicy(mtlsUsages, caCert())).toEqual([]);
  });
});

describe("known-usages", () => {
  it.each([
    ["provider names", MTLS, []],
    [
      "an OpenSSL spelling",
      ["digitalSignature", "server_auth", "client_auth"],
      mandatory(
        "known-usages",
        `${leaf}: allowedUses has unrecognised digitalSignature; use the tls provider's names (e.g. digital_signature, server_auth, client_auth, cert_signing).`,
      ),
    ],
    [
      "one usage unknown during preview",
      [...MTLS, UNKNOWN],
      advisory("known-usages", notChecked(`${leaf}: each usage name (allowedUses is unknown)`)),
    ],
  ])("%s", async (_, allowedUses, expected) => {
    expect(await runResourcePolicy(knownUsages, leafCert("gateway", { allowedUses }))).toEqual(
      expected,
    );
  });
});

describe("key-encipherment-only-for-rsa", () => {
  const withEncipherment = (algorithm: Record<string, unknown>) =>
    meshStack(["gateway"]).map((r) =>
      r.name === "gateway-cert"
        ? leafCert("gateway", { allowedUses: [...MTLS, "key_encipherment"] })
        : r.name === "gateway-key"
          ? key("gateway-key", algorithm)
          : r,
    );

  it("passes the known-good mesh", async () => {
    expect(await runStackPolicy(keyEnciphermentOnlyForRsa, meshStack())).toEqual([]);
  });

  it.each([
    [
      "an ECDSA leaf with key_encipherment",
      {},
      mandatory(
        "key-encipherment-only-for-rsa",
        `${leaf}: key_encipherment is meaningless for its ECDSA key PrivateKey 'gateway-key'; remove key_encipherment from allowedUses.`,
      ),
    ],
    [
      "an Ed25519 leaf with key_encipherment",
      { algorithm: "ED25519", ecdsaCurve: undefined },
      mandatory(
        "key-encipherment-only-for-rsa",
        `${leaf}: key_encipherment is meaningless for its ED25519 key PrivateKey 'gateway-key'; remove key_encipherment from allowedUses.`,
      ),
    ],
    [
      "an RSA leaf with key_encipherment",
      { algorithm: "RSA", ecdsaCurve: undefined, rsaBits: 3072 },
      [],
    ],
    [
      "a key algorithm unknown during preview",
      { algorithm: UNKNOWN },
      advisory(
        "key-encipherment-only-for-rsa",
        notChecked(`PrivateKey 'gateway-key': key_encipherment on ${leaf} (algorithm is unknown)`),
      ),
    ],
  ])("%s", async (_, algorithm, expected) => {
    expect(await runStackPolicy(keyEnciphermentOnlyForRsa, withEncipherment(algorithm))).toEqual(
      expected,
    );
  });
});
