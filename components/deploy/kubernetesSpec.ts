/**
 * What the kubernetes target puts in each object, as pure functions: names, labels, the environment
 * contract, the Secret's keys and the checksum that rolls the pods. No Pulumi.
 */
import { createHash } from "node:crypto";

/** Where each pod finds its Secret: a directory, so a rotated Secret reaches the files. */
export const CERT_MOUNT_PATH = "/etc/mesh-pki/tls";
export const CERT_VOLUME = "mtls";
/** The port every service listens on for mTLS unless its config names another. */
export const MTLS_PORT = 8443;
/** Pod-template annotation whose change makes the Deployment roll its pods. */
export const CHECKSUM_ANNOTATION = "mesh-pki.ashchan.local/cert-checksum";
/** Secret files: the owner and the group may read (fsGroup), nobody writes, the rest see nothing. */
export const SECRET_FILE_MODE = 0o440;

export function secretName(service: string): string {
  return `${service}-mtls`;
}

/** Labels on every object of a service; the selector uses the first two. */
export function serviceLabels(service: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": service,
    "app.kubernetes.io/part-of": "mesh-pki",
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

export function selectorLabels(service: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": service,
    "app.kubernetes.io/part-of": "mesh-pki",
  };
}

/**
 * SHA-256 of the certificate chain and the CA bundle: it changes when, and only when, the files a pod
 * reads change (a key never changes without its certificate).
 */
export function certChecksum(chainPem: string, caBundlePem: string): string {
  return createHash("sha256").update(chainPem).update("\0").update(caBundlePem).digest("hex");
}

/** The data of a kubernetes.io/tls Secret, base64 as the API stores it. */
export function tlsSecretData(
  chainPem: string,
  keyPem: string,
  caBundlePem: string,
): Record<string, string> {
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  return { "tls.crt": b64(chainPem), "tls.key": b64(keyPem), "ca.crt": b64(caBundlePem) };
}

/** The image of a service: its own, else the target's with `{service}` replaced. */
export function serviceImage(service: string, template: string, own?: string): string {
  return own ?? template.replaceAll("{service}", service);
}

export interface EnvVar {
  name: string;
  value: string;
}

/**
 * The environment contract of the design. The same certificate serves as server and client identity;
 * the key is a path, never a value.
 */
export function serviceEnv(
  service: string,
  port: number,
  tls: { minVersion: string; ciphers: string[] },
): EnvVar[] {
  const file = (name: string) => `${CERT_MOUNT_PATH}/${name}`;
  return [
    { name: "SERVICE_NAME", value: service },
    { name: "MTLS_PORT", value: String(port) },
    { name: "MTLS_CERT_FILE", value: file("tls.crt") },
    { name: "MTLS_KEY_FILE", value: file("tls.key") },
    { name: "MTLS_CA_FILE", value: file("ca.crt") },
    { name: "MTLS_CLIENT_CERT_FILE", value: file("tls.crt") },
    { name: "MTLS_CLIENT_KEY_FILE", value: file("tls.key") },
    { name: "MTLS_MIN_VERSION", value: tls.minVersion },
    { name: "MTLS_CIPHERS", value: tls.ciphers.join(":") },
  ];
}
