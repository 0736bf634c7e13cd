// Signing for @peculiar/x509 through Node's crypto instead of WebCrypto.
//
// The library builds certificates and requests and asks a `Crypto` object to sign the to-be-signed bytes;
// it takes that object as a parameter for exactly this purpose. WebCrypto has no P-224, yet the official
// provider's default curve is P-224, so every signature here is made by Node's crypto.sign with a KeyObject,
// which OpenSSL supports on all four curves. The adapter implements only the operations the library calls
// while building certificates and requests, and throws for anything else so a new call cannot go unnoticed.

import * as crypto from "node:crypto";
import * as x509 from "@peculiar/x509";
import { EcdsaCurve, ParsedKey, publicKeyDer } from "./keys";

// The library turns a raw (r || s) ECDSA signature into DER using the curve's field size, and knows the
// sizes of P-256, P-384 and P-521 only.
x509.AsnEcSignatureFormatter.namedCurveSize.set("P-224", 28);

type LibraryCrypto = NonNullable<Parameters<typeof x509.X509CertificateGenerator.create>[1]>;
type LibraryKeyPair = x509.X509CertificateCreateSelfSignedParams["keys"];
type LibraryAlgorithm = NonNullable<x509.Pkcs10CertificateRequestCreateParams["signingAlgorithm"]>;
type Bytes = ArrayBuffer | ArrayBufferView;

const webCurveNames: Record<EcdsaCurve, string> = {
  P224: "P-224",
  P256: "P-256",
  P384: "P-384",
  P521: "P-521",
};

/**
 * The hash Go's crypto/x509 picks for a key (signingParamsForKey): SHA-256 for RSA and for ECDSA on P-224
 * and P-256, SHA-384 on P-384, SHA-512 on P-521, none for Ed25519.
 */
export function hashFor(parsed: ParsedKey): "SHA-256" | "SHA-384" | "SHA-512" | undefined {
  if (parsed.algorithm === "ED25519") return undefined;
  if (parsed.curve === "P384") return "SHA-384";
  if (parsed.curve === "P521") return "SHA-512";
  return "SHA-256";
}

interface NodeBackedKey {
  readonly algorithm: { name: string; namedCurve?: string; hash?: { name: string } };
  readonly type: "private" | "public";
  readonly extractable: boolean;
  readonly usages: string[];
  readonly keyObject: crypto.KeyObject;
}

function webAlgorithm(parsed: ParsedKey): NodeBackedKey["algorithm"] {
  switch (parsed.algorithm) {
    case "RSA":
      return { name: "RSASSA-PKCS1-v1_5", hash: { name: "SHA-256" } };
    case "ECDSA":
      return { name: "ECDSA", namedCurve: webCurveNames[parsed.curve!] };
    case "ED25519":
      return { name: "Ed25519" };
  }
}

/** A key pair in the shape the library expects of WebCrypto keys, backed by Node KeyObjects. */
export function signingKeys(parsed: ParsedKey): LibraryKeyPair {
  const algorithm = webAlgorithm(parsed);
  const privateKey: NodeBackedKey = {
    algorithm,
    type: "private",
    extractable: false,
    usages: ["sign"],
    keyObject: parsed.key,
  };
  const publicKey: NodeBackedKey = {
    algorithm,
    type: "public",
    extractable: true,
    usages: ["verify"],
    keyObject: crypto.createPublicKey(parsed.key),
  };
  return { privateKey, publicKey } as unknown as LibraryKeyPair;
}

/** The signature algorithm parameters to pass to the library's generators. */
export function signingAlgorithm(parsed: ParsedKey): LibraryAlgorithm {
  const hash = hashFor(parsed);
  return (hash ? { ...webAlgorithm(parsed), hash } : webAlgorithm(parsed)) as LibraryAlgorithm;
}

function nodeKey(key: unknown): NodeBackedKey {
  const k = key as Partial<NodeBackedKey>;
  if (!k || !(k.keyObject instanceof crypto.KeyObject)) {
    throw new Error("tls stand-in signer: expected a key made by signingKeys()");
  }
  return k as NodeBackedKey;
}

function hashName(algorithm: unknown): string | null {
  const hash = (algorithm as { hash?: string | { name: string } }).hash;
  const name = typeof hash === "string" ? hash : hash?.name;
  return name ? name.replace("-", "").toLowerCase() : null;
}

function toBuffer(data: Bytes): Buffer {
  return ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(data);
}

const unsupported = (operation: string) => () => {
  throw new Error(`tls stand-in signer: ${operation} is not implemented`);
};

const subtle = {
  async sign(algorithm: unknown, key: unknown, data: Bytes): Promise<ArrayBuffer> {
    const k = nodeKey(key);
    const view = toBuffer(data);
    const signature =
      k.algorithm.name === "ECDSA"
        ? crypto.sign(hashName(algorithm), view, { key: k.keyObject, dsaEncoding: "ieee-p1363" })
        : crypto.sign(
            k.algorithm.name === "Ed25519" ? null : hashName(algorithm),
            view,
            k.keyObject,
          );
    return new Uint8Array(signature).buffer;
  },
  async exportKey(format: string, key: unknown): Promise<ArrayBuffer> {
    if (format !== "spki") throw new Error(`tls stand-in signer: cannot export ${format}`);
    return new Uint8Array(publicKeyDer(nodeKey(key).keyObject)).buffer;
  },
  async digest(algorithm: unknown, data: Bytes): Promise<ArrayBuffer> {
    const name = typeof algorithm === "string" ? algorithm : (algorithm as { name: string }).name;
    const digest = crypto.createHash(name.replace("-", "").toLowerCase()).update(toBuffer(data));
    return new Uint8Array(digest.digest()).buffer;
  },
  encrypt: unsupported("encrypt"),
  decrypt: unsupported("decrypt"),
  verify: unsupported("verify"),
  generateKey: unsupported("generateKey"),
  importKey: unsupported("importKey"),
  deriveBits: unsupported("deriveBits"),
  deriveKey: unsupported("deriveKey"),
  wrapKey: unsupported("wrapKey"),
  unwrapKey: unsupported("unwrapKey"),
};

/** The `Crypto` to hand to the library's generators. */
export const nodeCrypto = {
  subtle,
  getRandomValues<T extends ArrayBufferView | null>(array: T): T {
    return crypto.getRandomValues(array as never) as T;
  },
  randomUUID: () => crypto.randomUUID(),
} as unknown as LibraryCrypto;
