// What SelfSignedCert and LocallySignedCert share, following terraform-provider-tls's common_cert.go
// (createCertificate, generateSubjectKeyID, the renewal plan modifiers) and what Go's
// x509.CreateCertificate adds to the template it is given (extension order and criticality, the authority
// key identifier taken from the issuer, the MaxPathLen rules).

import * as crypto from "node:crypto";
import * as x509 from "@peculiar/x509";
import { describeKey, ecPublicPoint, ParsedKey } from "./keys";
import { AltNames, altNamesExtension } from "./names";
import { encodePem } from "./pem";
import { nodeCrypto, signingAlgorithm, signingKeys } from "./signer";

/** allowed_uses values that are key usage bits, with Go's x509.KeyUsage bit values. */
export const keyUsages: Readonly<Record<string, number>> = {
  digital_signature: 1 << 0,
  content_commitment: 1 << 1,
  key_encipherment: 1 << 2,
  data_encipherment: 1 << 3,
  key_agreement: 1 << 4,
  cert_signing: 1 << 5,
  crl_signing: 1 << 6,
  encipher_only: 1 << 7,
  decipher_only: 1 << 8,
};

/** allowed_uses values that are extended key usages, with the OIDs Go writes for them. */
export const extendedKeyUsages: Readonly<Record<string, string>> = {
  any_extended: "2.5.29.37.0",
  server_auth: "1.3.6.1.5.5.7.3.1",
  client_auth: "1.3.6.1.5.5.7.3.2",
  code_signing: "1.3.6.1.5.5.7.3.3",
  email_protection: "1.3.6.1.5.5.7.3.4",
  ipsec_end_system: "1.3.6.1.5.5.7.3.5",
  ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
  ipsec_user: "1.3.6.1.5.5.7.3.7",
  timestamping: "1.3.6.1.5.5.7.3.8",
  ocsp_signing: "1.3.6.1.5.5.7.3.9",
  microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
  netscape_server_gated_crypto: "2.16.840.1.113730.4.1",
  microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
  microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};

export const supportedUses: readonly string[] = [
  ...Object.keys(keyUsages),
  ...Object.keys(extendedKeyUsages),
].sort();

export class CertificateError extends Error {}

/**
 * The subject key identifier as upstream's generateSubjectKeyID computes it: SHA-1 of the PKCS#1 public
 * key for RSA, of the uncompressed point for ECDSA, and of the DER OCTET STRING holding the 32-byte key for
 * Ed25519 (Go's asn1.Marshal of an ed25519.PublicKey, a byte slice). The last differs from RFC 5280's
 * method 1, which hashes the raw key; it is kept because the official provider does it.
 */
export function subjectKeyId(publicKey: crypto.KeyObject): Buffer {
  const sha1 = (bytes: Uint8Array) => crypto.createHash("sha1").update(bytes).digest();
  switch (publicKey.asymmetricKeyType) {
    case "rsa":
      return sha1(publicKey.export({ format: "der", type: "pkcs1" }));
    case "ec":
      return sha1(ecPublicPoint(describeKey(publicKey)));
    case "ed25519": {
      const raw = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
      // DER OCTET STRING header for 32 bytes: tag 0x04, length 0x20.
      return sha1(Buffer.concat([Buffer.from([0x04, 0x20]), raw]));
    }
    default:
      throw new CertificateError(`unsupported public key type ${publicKey.asymmetricKeyType}`);
  }
}

/** Go's time.Time.MarshalText (RFC 3339 with sub-second digits, trailing zeros dropped), in UTC. */
export function rfc3339(date: Date): string {
  return date
    .toISOString()
    .replace(/\.?0+Z$/, "Z")
    .replace(/\.Z$/, "Z");
}

export interface CertificateSettings {
  readonly validityPeriodHours: number;
  readonly allowedUses: readonly string[];
  readonly isCaCertificate: boolean;
  readonly maxPathLength?: number;
  readonly setSubjectKeyId: boolean;
  /** Self-signed certificates only. */
  readonly setAuthorityKeyId?: boolean;
}

export interface CertificateRequest {
  readonly subjectDer: ArrayBuffer;
  /** Go compares the template's pkix.Name with the zero value before issuing a CA. */
  readonly subjectAnySet: boolean;
  readonly altNames: AltNames;
  readonly publicKey: crypto.KeyObject;
}

export interface Issuer {
  /** Undefined for a self-signed certificate, whose issuer is its subject. */
  readonly certificate?: x509.X509Certificate;
  readonly key: ParsedKey;
}

export interface IssuedCertificate {
  readonly id: string;
  readonly certPem: string;
  readonly validityStartTime: string;
  readonly validityEndTime: string;
}

const hour = 3_600_000;

export async function issueCertificate(
  request: CertificateRequest,
  settings: CertificateSettings,
  issuer: Issuer,
  now: Date = new Date(),
): Promise<IssuedCertificate> {
  const notBefore = now;
  const notAfter = new Date(now.getTime() + settings.validityPeriodHours * hour);

  // Go's rand.Int below 2^128: sixteen random bytes, written as a positive INTEGER.
  const serialHex = crypto.randomBytes(16).toString("hex");

  let keyUsage = 0;
  const extKeyUsages: string[] = [];
  for (const use of settings.allowedUses) {
    keyUsage |= keyUsages[use] ?? 0;
    if (extendedKeyUsages[use]) extKeyUsages.push(extendedKeyUsages[use]);
  }

  let ski: Buffer | undefined;
  if (settings.isCaCertificate) {
    if (!request.subjectAnySet) {
      throw new CertificateError(
        "Invalid Certificate Subject: Must contain at least one Distinguished Name when creating " +
          "Certificate Authority (CA)",
      );
    }
    ski = subjectKeyId(request.publicKey);
  }

  // Upstream copies max_path_length into MaxPathLen when it is 0 or more, without MaxPathLenZero, so Go
  // writes a path length only when it is positive, and refuses one on a certificate that is not a CA.
  const maxPathLen =
    settings.maxPathLength !== undefined && settings.maxPathLength >= 0
      ? settings.maxPathLength
      : 0;
  if (!settings.isCaCertificate && maxPathLen !== 0) {
    throw new CertificateError(
      "Failed to create certificate: x509: only CAs are allowed to specify MaxPathLen",
    );
  }

  if (settings.setSubjectKeyId) ski = subjectKeyId(request.publicKey);

  let aki: Buffer | undefined;
  let issuerName: ArrayBuffer;
  if (!issuer.certificate) {
    issuerName = request.subjectDer;
    if (settings.setAuthorityKeyId) {
      if (!ski) {
        throw new CertificateError(
          "Invalid Certificate Authority: Could not determine Authority Key Identifier",
        );
      }
      aki = ski;
    }
  } else {
    issuerName = issuer.certificate.subjectName.toArrayBuffer();
    const issuerSki = issuer.certificate.getExtension(x509.SubjectKeyIdentifierExtension);
    if (issuerSki && !Buffer.from(issuerName).equals(Buffer.from(request.subjectDer))) {
      aki = Buffer.from(issuerSki.keyId, "hex");
    }
  }

  const subjectIsEmpty = Buffer.from(request.subjectDer).equals(Buffer.from([0x30, 0x00]));
  const extensions: x509.Extension[] = [];
  if (keyUsage !== 0) extensions.push(new x509.KeyUsagesExtension(keyUsage, true));
  if (extKeyUsages.length > 0)
    extensions.push(new x509.ExtendedKeyUsageExtension(extKeyUsages, false));
  extensions.push(
    new x509.BasicConstraintsExtension(
      settings.isCaCertificate,
      maxPathLen > 0 ? maxPathLen : undefined,
      true,
    ),
  );
  if (ski) extensions.push(new x509.SubjectKeyIdentifierExtension(ski.toString("hex"), false));
  if (aki) extensions.push(new x509.AuthorityKeyIdentifierExtension(aki.toString("hex"), false));
  const san = altNamesExtension(request.altNames, subjectIsEmpty);
  if (san) extensions.push(san);

  const publicKeyDer = request.publicKey.export({ format: "der", type: "spki" });
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialHex,
      subject: new x509.Name(request.subjectDer),
      issuer: new x509.Name(issuerName),
      // Certificates carry whole seconds; Go truncates the same way when it encodes the times.
      notBefore: new Date(Math.floor(notBefore.getTime() / 1000) * 1000),
      notAfter: new Date(Math.floor(notAfter.getTime() / 1000) * 1000),
      publicKey: new Uint8Array(publicKeyDer),
      signingKey: signingKeys(issuer.key).privateKey,
      signingAlgorithm: signingAlgorithm(issuer.key),
      extensions,
    },
    nodeCrypto,
  );

  return {
    id: BigInt(`0x${serialHex}`).toString(10),
    certPem: encodePem("CERTIFICATE", new Uint8Array(cert.rawData)),
    validityStartTime: rfc3339(notBefore),
    validityEndTime: rfc3339(notAfter),
  };
}

/**
 * ready_for_renewal at creation and after an in-place update, as upstream's ReadyForRenewal plan modifier
 * sets it: true when the validity is zero hours or the early-renewal window is as long as the validity.
 */
export function readyForRenewalAtPlan(
  validityPeriodHours: number,
  earlyRenewalHours: number,
): boolean {
  return validityPeriodHours === 0 || earlyRenewalHours >= validityPeriodHours;
}

/**
 * Whether the early-renewal window of a certificate has begun (modifyPlanIfCertificateReadyForRenewal and
 * modifyStateIfCertificateReadyForRenewal): validity_end_time minus early_renewal_hours is not after now.
 */
export function renewalWindowBegun(
  validityEndTime: string,
  earlyRenewalHours: number,
  now: Date = new Date(),
): boolean {
  const end = Date.parse(validityEndTime);
  if (Number.isNaN(end)) {
    throw new CertificateError(`Failed to parse data from string: ${validityEndTime}`);
  }
  return end - earlyRenewalHours * hour - now.getTime() <= 0;
}
