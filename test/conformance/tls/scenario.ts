// The conformance suite's program and its inspection tools.
//
// Every scenario runs one small Pulumi program, written into a temporary project, that declares the tls
// resources listed in its stack config (`scenario:resources`, JSON) and exports each output a test reads as
// `<resource>_<output>`. Arguments may refer to another resource's output as {"$ref": "name.output"}, so a
// test changes a scenario by changing config, and the program itself never changes. Certificates are then
// read with Node's crypto.X509Certificate and `openssl x509 -text`, and compared by structure, never by
// random values.

import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EngineSession, TestStack } from "../../support/engine";

export type Kind = "PrivateKey" | "CertRequest" | "SelfSignedCert" | "LocallySignedCert";

export interface ResourceSpec {
  readonly name: string;
  /** An @pulumi/tls class, or `raw:<type token>` for a CustomResource that passes args as given. */
  readonly kind: Kind | `raw:${string}`;
  readonly args: Record<string, unknown>;
}

/** The outputs exported for each kind (the official names of @pulumi/tls 5.6.1). */
export const exportedOutputs: Record<Kind, readonly string[]> = {
  PrivateKey: [
    "algorithm",
    "ecdsaCurve",
    "rsaBits",
    "privateKeyPem",
    "privateKeyPemPkcs8",
    "privateKeyOpenssh",
    "publicKeyPem",
    "publicKeyOpenssh",
    "publicKeyFingerprintMd5",
    "publicKeyFingerprintSha256",
    "id",
  ],
  CertRequest: ["certRequestPem", "keyAlgorithm", "privateKeyPem", "id"],
  SelfSignedCert: [
    "certPem",
    "keyAlgorithm",
    "validityStartTime",
    "validityEndTime",
    "validityPeriodHours",
    "earlyRenewalHours",
    "readyForRenewal",
    "isCaCertificate",
    "setSubjectKeyId",
    "setAuthorityKeyId",
    "privateKeyPem",
    "id",
  ],
  LocallySignedCert: [
    "certPem",
    "caKeyAlgorithm",
    "validityStartTime",
    "validityEndTime",
    "validityPeriodHours",
    "earlyRenewalHours",
    "readyForRenewal",
    "isCaCertificate",
    "setSubjectKeyId",
    "caPrivateKeyPem",
    "id",
  ],
};

const program = `
"use strict";
const pulumi = require("@pulumi/pulumi");
const tls = require("@pulumi/tls");

const exported = ${JSON.stringify(exportedOutputs)};
const specs = JSON.parse(new pulumi.Config("scenario").require("resources"));
const made = {};

function resolve(value) {
  if (Array.isArray(value)) return value.map(resolve);
  if (value && typeof value === "object") {
    if (typeof value.$ref === "string") {
      const [name, output] = value.$ref.split(".");
      return made[name][output];
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
  }
  return value;
}

for (const spec of specs) {
  const args = resolve(spec.args);
  if (spec.kind.startsWith("raw:")) {
    made[spec.name] = new pulumi.CustomResource(spec.kind.slice(4), spec.name, args);
    continue;
  }
  const resource = new tls[spec.kind](spec.name, args);
  made[spec.name] = resource;
  for (const output of exported[spec.kind]) exports[spec.name + "_" + output] = resource[output];
}
`;

/** A temporary project running the scenario program, with `resources` as its first scenario. */
export async function scenarioStack(
  session: EngineSession,
  projectName: string,
  resources: readonly ResourceSpec[],
): Promise<TestStack> {
  const stack = await session.tempProjectStack({ projectName, program });
  await setScenario(stack, resources);
  return stack;
}

export async function setScenario(stack: TestStack, resources: readonly ResourceSpec[]) {
  await stack.setConfig({ "scenario:resources": JSON.stringify(resources) });
}

export const ref = (target: string) => ({ $ref: target });

/** Stack outputs as plain values, and the names of the secret ones. */
export async function readOutputs(stack: TestStack) {
  const raw = await stack.outputs();
  const values: Record<string, unknown> = {};
  const secrets = new Set<string>();
  for (const [key, output] of Object.entries(raw)) {
    values[key] = output.value;
    if (output.secret) secrets.add(key);
  }
  return { values, secrets };
}

/** A string output, or a failed expectation naming it. */
export function text(values: Record<string, unknown>, key: string): string {
  const value = values[key];
  if (typeof value !== "string") throw new Error(`output ${key} is ${typeof value}, not a string`);
  return value;
}

/** `openssl <args>` on a PEM given on stdin. */
export function openssl(args: string[], pem: string): string {
  return execFileSync("openssl", args, { input: pem, encoding: "utf8", timeout: 30_000 });
}

/** The text of one X509v3 extension in `openssl x509 -text`: its header line and its value lines. */
export interface OpensslExtension {
  readonly critical: boolean;
  readonly value: string;
}

export function opensslExtensions(pem: string): Record<string, OpensslExtension> {
  const text = openssl(["x509", "-noout", "-text"], pem);
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === "X509v3 extensions:");
  const result: Record<string, OpensslExtension> = {};
  if (start < 0) return result;
  const indent = (l: string) => l.length - l.trimStart().length;
  const headerIndent = indent(lines[start + 1] ?? "");
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (indent(line) < headerIndent || line.trim().startsWith("Signature Algorithm")) break;
    if (indent(line) !== headerIndent) continue;
    const header = /^(.*?):\s*(critical)?\s*$/.exec(line.trim());
    if (!header) continue;
    const value: string[] = [];
    for (let j = i + 1; j < lines.length && indent(lines[j]!) > headerIndent; j++) {
      value.push(lines[j]!.trim());
    }
    result[header[1]!] = { critical: header[2] === "critical", value: value.join(" ") };
  }
  return result;
}

/** The signature algorithm line of `openssl x509 -text`. */
export function opensslSignatureAlgorithm(pem: string): string {
  const text = openssl(["x509", "-noout", "-text"], pem);
  return /Signature Algorithm: (\S+)/.exec(text)![1]!;
}

/** `openssl verify` of a leaf against a CA file; returns the exit status and output. */
export function opensslVerify(caPem: string, leafPem: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-pki-verify-"));
  try {
    fs.writeFileSync(path.join(dir, "ca.pem"), caPem);
    fs.writeFileSync(path.join(dir, "leaf.pem"), leafPem);
    const out = execFileSync("openssl", ["verify", "-CAfile", "ca.pem", "leaf.pem"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 30_000,
    });
    return out.trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The first PEM block's label. */
export function pemLabel(pem: string): string | undefined {
  return /^-----BEGIN ([A-Z0-9 ]+)-----\n/.exec(pem)?.[1];
}

/** The SSH wire blob of an authorized_keys line, and its fingerprints as ssh-keygen computes them. */
export function sshFingerprints(authorizedKey: string) {
  const blob = Buffer.from(authorizedKey.trim().split(" ")[1]!, "base64");
  return {
    md5: crypto.createHash("md5").update(blob).digest("hex").match(/../g)!.join(":"),
    sha256: `SHA256:${crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`,
  };
}

/**
 * The subject key identifier the official provider writes: SHA-1 of the subjectPublicKey bits (RFC 5280
 * method 1) for RSA and ECDSA; for Ed25519, SHA-1 of the key wrapped in a DER OCTET STRING (04 20 || key),
 * since upstream hashes Go's asn1.Marshal of the key.
 */
export function upstreamKeyId(publicKey: crypto.KeyObject): string {
  const spki = publicKey.export({ format: "der", type: "spki" });
  const jwk =
    publicKey.asymmetricKeyType === "ed25519" ? publicKey.export({ format: "jwk" }) : null;
  const bits = jwk
    ? Buffer.concat([Buffer.from([0x04, 0x20]), Buffer.from(jwk.x!, "base64url")])
    : publicKey.asymmetricKeyType === "rsa"
      ? publicKey.export({ format: "der", type: "pkcs1" })
      : spki.subarray(spki.length - ecPointLength(publicKey));
  return crypto.createHash("sha1").update(bits).digest("hex");
}

function ecPointLength(key: crypto.KeyObject): number {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return { secp224r1: 57, prime256v1: 65, secp384r1: 97, secp521r1: 133 }[curve as string] ?? 0;
}

/** Colon-separated upper-case hex, as openssl prints key identifiers. */
export function opensslHex(hex: string): string {
  return hex.toUpperCase().match(/../g)!.join(":");
}

export const hours = (n: number) => n * 3_600_000;
