/**
 * TLS rules that both the stack config schema (components/) and the CrossGuard pack (policy/) enforce.
 * Pure functions and constants only: no Pulumi, no I/O, so either side can import this module and the
 * two can never disagree about a curve, a size or a ceiling.
 */

/** The key algorithms a mesh identity or CA may use, as written in stack config. */
export const KEY_ALGORITHMS = [
  "ecdsa-p256",
  "ecdsa-p384",
  "rsa-3072",
  "rsa-4096",
  "ed25519",
] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** The inputs of a `tls.PrivateKey` that produce a given algorithm. */
export interface TlsKeyInputs {
  algorithm: "ECDSA" | "RSA" | "ED25519";
  ecdsaCurve?: "P256" | "P384";
  rsaBits?: number;
}

export function tlsKeyInputs(algorithm: KeyAlgorithm): TlsKeyInputs {
  switch (algorithm) {
    case "ecdsa-p256":
      return { algorithm: "ECDSA", ecdsaCurve: "P256" };
    case "ecdsa-p384":
      return { algorithm: "ECDSA", ecdsaCurve: "P384" };
    case "rsa-3072":
      return { algorithm: "RSA", rsaBits: 3072 };
    case "rsa-4096":
      return { algorithm: "RSA", rsaBits: 4096 };
    case "ed25519":
      return { algorithm: "ED25519" };
  }
}

/** ECDSA curves that common TLS peers accept; P-224 (the tls provider's default) and P-521 are refused. */
export const ALLOWED_ECDSA_CURVES = ["P256", "P384"] as const;
export const MIN_RSA_BITS = 3072;

/** CA/Browser Forum ceiling for a leaf, and the modern TLS profile's 90-day recommendation. */
export const LEAF_MAX_VALIDITY_DAYS = 398;
export const LEAF_ADVISORY_VALIDITY_DAYS = 90;
export const CA_MAX_VALIDITY_DAYS = 3650;

/** The smallest share of a certificate's validity that its renewal window must cover by default. */
export const MIN_RENEWAL_SHARE = 0.05;

export const HOURS_PER_DAY = 24;

/**
 * Checks a private key's algorithm and parameters; returns what is wrong, or undefined when it is allowed.
 * `ecdsaCurve` undefined means the provider default (P224), which is refused: the curve must be explicit.
 */
export function keyProblem(key: {
  algorithm?: string;
  ecdsaCurve?: string;
  rsaBits?: number;
  allowEd25519?: boolean;
}): string | undefined {
  switch (key.algorithm) {
    case "ECDSA":
      if (key.ecdsaCurve === undefined) {
        return "ECDSA key without an explicit curve gets the provider default P224; set ecdsaCurve to P256 or P384";
      }
      if (!(ALLOWED_ECDSA_CURVES as readonly string[]).includes(key.ecdsaCurve)) {
        return `ECDSA curve ${key.ecdsaCurve} is refused by common TLS peers; use P256 or P384`;
      }
      return undefined;
    case "RSA": {
      const bits = key.rsaBits ?? 2048;
      return bits < MIN_RSA_BITS
        ? `RSA key of ${bits} bits is below ${MIN_RSA_BITS}; set rsaBits to 3072 or 4096`
        : undefined;
    }
    case "ED25519":
      return key.allowEd25519 === false
        ? "Ed25519 keys are not allowed by this configuration; use ECDSA P256 or P384"
        : undefined;
    default:
      return `unknown key algorithm ${String(key.algorithm)}; use ECDSA, RSA or ED25519`;
  }
}

/** The `allowedUses` names that the tls provider recognises. */
export const KNOWN_USAGES = [
  "digital_signature",
  "content_commitment",
  "key_encipherment",
  "data_encipherment",
  "key_agreement",
  "cert_signing",
  "crl_signing",
  "encipher_only",
  "decipher_only",
  "any_extended",
  "server_auth",
  "client_auth",
  "code_signing",
  "email_protection",
  "ipsec_end_system",
  "ipsec_tunnel",
  "ipsec_user",
  "timestamping",
  "ocsp_signing",
  "microsoft_server_gated_crypto",
  "netscape_server_gated_crypto",
] as const;

export const CA_USAGES = ["cert_signing", "crl_signing", "digital_signature"] as const;

/** mTLS leaf usages: `key_encipherment` only where the key can encipher (RSA key transport). */
export function leafUsages(algorithm: KeyAlgorithm): string[] {
  const base = ["digital_signature", "server_auth", "client_auth"];
  return algorithm.startsWith("rsa-")
    ? ["digital_signature", "key_encipherment", "server_auth", "client_auth"]
    : base;
}

/** TLS 1.3 cipher suites, by their IANA names (as OpenSSL and Node's `tls` take them). */
export const TLS13_CIPHERS = [
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_128_CCM_SHA256",
  "TLS_AES_128_CCM_8_SHA256",
] as const;

export const TLS_VERSIONS = ["TLSv1.2", "TLSv1.3"] as const;

/** Returns the suites in a colon- or comma-separated list that TLS 1.3 cannot negotiate. */
export function deadCiphersForTls13(ciphers: string): string[] {
  return ciphers
    .split(/[:,]/)
    .map((c) => c.trim())
    .filter((c) => c !== "" && !(TLS13_CIPHERS as readonly string[]).includes(c));
}

/**
 * Checks a renewal window against a validity; returns what is wrong, or undefined.
 * `minShare` is the smallest fraction of the validity that the window must cover.
 */
export function renewalProblem(
  validityHours: number,
  renewBeforeHours: number | undefined,
  minShare = MIN_RENEWAL_SHARE,
): string | undefined {
  if (renewBeforeHours === undefined || renewBeforeHours <= 0) {
    return "no renewal window: set a renew-before (earlyRenewalHours) greater than zero";
  }
  if (renewBeforeHours >= validityHours) {
    return `renewal window of ${renewBeforeHours} h is not shorter than the validity of ${validityHours} h`;
  }
  if (renewBeforeHours < validityHours * minShare) {
    return `renewal window of ${renewBeforeHours} h is under ${minShare * 100}% of the validity of ${validityHours} h`;
  }
  return undefined;
}

/** One DNS label: lower-case letters, digits and inner hyphens, 1 to 63 characters. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function isDnsLabel(value: string): boolean {
  return DNS_LABEL.test(value);
}

/** A DNS name of labels separated by dots, at most 253 characters, without a wildcard. */
export function isDnsName(value: string): boolean {
  return value.length <= 253 && value.split(".").every(isDnsLabel);
}

export function isWildcard(name: string): boolean {
  return name.includes("*");
}

/**
 * True for a SAN that names the host itself (`localhost`, a loopback IP) rather than one service. Every
 * identity may carry these, so "no SAN shared by two services" does not apply to them.
 */
export function isHostLocalSan(value: string): boolean {
  const v = value.trim().toLowerCase();
  return (
    v === "localhost" ||
    /^127(\.\d{1,3}){3}$/.test(v) ||
    v === "::1" ||
    /^(0{1,4}:){7}0{0,3}1$/.test(v)
  );
}
