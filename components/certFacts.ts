/**
 * Facts about an issued certificate that consumers pin or display, read from its PEM with Node's own
 * X.509 parser. Pure: no Pulumi.
 */
import { createHash, X509Certificate } from "node:crypto";

export interface CertificateFacts {
  /** Serial number in upper-case hex, as `openssl x509 -serial` prints it. */
  serialNumber: string;
  /** SHA-256 fingerprint of the DER certificate, colon-separated upper-case hex (openssl's form). */
  fingerprintSha256: string;
  /** Base64 SHA-256 of the DER SubjectPublicKeyInfo: the value used for public-key pinning. */
  spkiPinSha256: string;
  /** Start of validity, ISO 8601 in UTC. */
  notBefore: string;
  /** End of validity, ISO 8601 in UTC. */
  notAfter: string;
}

/** Reads the facts of the first certificate in `pem`. Throws when it is not a certificate. */
export function certificateFacts(pem: string): CertificateFacts {
  const cert = new X509Certificate(pem);
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  return {
    serialNumber: cert.serialNumber.toUpperCase(),
    fingerprintSha256: cert.fingerprint256,
    spkiPinSha256: createHash("sha256").update(spki).digest("base64"),
    notBefore: cert.validFromDate.toISOString(),
    notAfter: cert.validToDate.toISOString(),
  };
}

/** Joins PEM blocks into one chain, each ending in exactly one newline, empty blocks dropped. */
export function joinPem(...blocks: string[]): string {
  return blocks
    .map((b) => b.trim())
    .filter((b) => b !== "")
    .map((b) => `${b}\n`)
    .join("");
}
