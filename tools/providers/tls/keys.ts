// Private keys as the official provider generates, parses and encodes them (terraform-provider-tls,
// internal/provider/common_key.go and resource_private_key.go), on Node's crypto.

import * as crypto from "node:crypto";
import { decodePem, encodePem } from "./pem";

export type Algorithm = "RSA" | "ECDSA" | "ED25519";
export type EcdsaCurve = "P224" | "P256" | "P384" | "P521";

export const algorithms: readonly Algorithm[] = ["RSA", "ECDSA", "ED25519"];
export const ecdsaCurves: readonly EcdsaCurve[] = ["P224", "P256", "P384", "P521"];

/** Node's (OpenSSL's) name of each curve the official provider supports. */
const opensslCurveNames: Record<EcdsaCurve, string> = {
  P224: "secp224r1",
  P256: "prime256v1",
  P384: "secp384r1",
  P521: "secp521r1",
};

export interface ParsedKey {
  readonly key: crypto.KeyObject;
  readonly algorithm: Algorithm;
  /** Set for ECDSA keys. */
  readonly curve?: EcdsaCurve;
}

export class KeyError extends Error {}

export function generateKey(algorithm: Algorithm, rsaBits: number, curve: EcdsaCurve): ParsedKey {
  switch (algorithm) {
    case "RSA":
      // Go's crypto/rsa (1.24 and later, which the official plugin is built with) refuses keys under
      // 1024 bits; Node would make them.
      if (rsaBits < 1024) {
        throw new KeyError(
          `RSA keys of ${rsaBits} bits are insecure and refused; use at least 1024`,
        );
      }
      return {
        key: crypto.generateKeyPairSync("rsa", { modulusLength: rsaBits, publicExponent: 65537 })
          .privateKey,
        algorithm,
      };
    case "ECDSA":
      return {
        key: crypto.generateKeyPairSync("ec", { namedCurve: opensslCurveNames[curve] }).privateKey,
        algorithm,
        curve,
      };
    case "ED25519":
      return { key: crypto.generateKeyPairSync("ed25519").privateKey, algorithm };
  }
}

const parsersByPemType: Record<string, "pkcs1" | "sec1" | "pkcs8"> = {
  "RSA PRIVATE KEY": "pkcs1",
  "EC PRIVATE KEY": "sec1",
  "PRIVATE KEY": "pkcs8",
};

/** Parses a private key PEM the way the official provider does: PKCS#1, SEC 1 or PKCS#8. */
export function parsePrivateKeyPem(pem: string): ParsedKey {
  const block = decodePem(pem);
  if (!block) throw new KeyError("failed to decode PEM block: no PEM data found");
  const type = parsersByPemType[block.type];
  if (!type) throw new KeyError(`unable to determine parser for PEM preamble: ${block.type}`);
  if (block.headers) throw new KeyError("PEM headers (an encrypted key?) are not supported");

  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: block.bytes, format: "der", type });
  } catch (e) {
    throw new KeyError(
      `failed to parse private key given PEM preamble '${block.type}': ${(e as Error).message}`,
    );
  }
  return describeKey(key);
}

export function describeKey(key: crypto.KeyObject): ParsedKey {
  switch (key.asymmetricKeyType) {
    case "rsa":
      return { key, algorithm: "RSA" };
    case "ed25519":
      return { key, algorithm: "ED25519" };
    case "ec": {
      const name = key.asymmetricKeyDetails?.namedCurve;
      const curve = ecdsaCurves.find((c) => opensslCurveNames[c] === name);
      if (!curve) throw new KeyError(`unsupported elliptic curve ${name}`);
      return { key, algorithm: "ECDSA", curve };
    }
    default:
      throw new KeyError(`unsupported private key type: ${key.asymmetricKeyType}`);
  }
}

/** The PEM of `private_key_pem`: PKCS#1 for RSA, SEC 1 for ECDSA, PKCS#8 for ED25519. */
export function privateKeyPem(parsed: ParsedKey): string {
  const type =
    parsed.algorithm === "RSA" ? "pkcs1" : parsed.algorithm === "ECDSA" ? "sec1" : "pkcs8";
  const der = parsed.key.export({ format: "der", type });
  const label =
    type === "pkcs1" ? "RSA PRIVATE KEY" : type === "sec1" ? "EC PRIVATE KEY" : "PRIVATE KEY";
  return encodePem(label, der);
}

export function privateKeyPemPkcs8(parsed: ParsedKey): string {
  return encodePem("PRIVATE KEY", parsed.key.export({ format: "der", type: "pkcs8" }));
}

export function publicKeyDer(key: crypto.KeyObject): Buffer {
  const pub = key.type === "private" ? crypto.createPublicKey(key) : key;
  return pub.export({ format: "der", type: "spki" });
}

export function publicKeyPem(key: crypto.KeyObject): string {
  return encodePem("PUBLIC KEY", publicKeyDer(key));
}

const pointLengths: Record<EcdsaCurve, number> = { P224: 57, P256: 65, P384: 97, P521: 133 };

/**
 * The uncompressed point (0x04 || X || Y) of an ECDSA key: the end of its SubjectPublicKeyInfo, whose bit
 * string is that point. Node's JWK export would give X and Y, but it has no JWK form for P-224.
 */
export function ecPublicPoint(parsed: ParsedKey): Buffer {
  const spki = publicKeyDer(parsed.key);
  const point = spki.subarray(spki.length - pointLengths[parsed.curve!]);
  if (point[0] !== 0x04) throw new KeyError("expected an uncompressed EC point");
  return point;
}
