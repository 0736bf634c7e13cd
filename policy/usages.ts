/** Key usages: leaves cannot sign, CAs carry their constraints, mesh leaves do both sides of mTLS. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { CA_USAGES, KNOWN_USAGES } from "../rules/tls";
import { isCa, usages } from "./lib/certs";
import { isUnknown, num, str } from "./lib/known";
import { resourcePolicy, stackPolicy, type Subject, type Unchecked } from "./lib/policy";
import { CERT_REQUEST, CERTIFICATES, PRIVATE_KEY, SELF_SIGNED_CERT } from "./lib/types";

const SIGNING_USAGES = ["cert_signing", "crl_signing"];
const MTLS_USAGES = ["digital_signature", "server_auth", "client_auth"];
const IDENTITY_USAGES = ["server_auth", "client_auth"];

/** The certificate's kind and usages, or undefined (recorded as not checked) when either is unknown. */
function kindAndUsages(
  cert: Subject,
  what: string,
  unchecked: Unchecked,
): { ca: boolean; uses: string[] } | undefined {
  const ca = isCa(cert.props);
  const uses = usages(cert.props);
  if (isUnknown(ca)) {
    unchecked(cert, "isCaCertificate", what);
    return undefined;
  }
  if (uses.unknown) {
    unchecked(cert, "allowedUses", what);
    return undefined;
  }
  return { ca, uses: uses.known };
}

function listed(names: string[]): string {
  return names.join(", ");
}

function them(names: string[]): string {
  return names.length > 1 ? "them" : "it";
}

export const leafCannotSign = resourcePolicy({
  name: "leaf-cannot-sign",
  description:
    "Checks whether a leaf certificate is not a CA and cannot sign certificates, and a service identity is not a CA.",
  enforcementLevel: "mandatory",
  types: CERTIFICATES,
  validate: (cert, _config, report, unchecked) => {
    const c = kindAndUsages(cert, "whether a leaf can sign", unchecked);
    if (c === undefined) {
      return;
    }
    if (!c.ca) {
      const signing = c.uses.filter((u) => SIGNING_USAGES.includes(u));
      if (signing.length > 0) {
        report(
          `${cert.label}: a leaf certificate must not sign certificates; remove ${listed(signing)} from allowedUses.`,
        );
      }
      return;
    }
    const identity = c.uses.filter((u) => IDENTITY_USAGES.includes(u));
    if (identity.length > 0) {
      report(
        `${cert.label}: a CA certificate must not be a service identity; remove ${listed(identity)} ` +
          `from allowedUses and issue the service its own leaf certificate.`,
      );
    }
  },
});

export const caConstraints = resourcePolicy({
  name: "ca-constraints",
  description:
    "Checks whether a CA certificate has cert_signing, crl_signing and a path length constraint.",
  enforcementLevel: "mandatory",
  types: CERTIFICATES,
  validate: (cert, _config, report, unchecked) => {
    const c = kindAndUsages(cert, "the CA constraints", unchecked);
    if (c === undefined || !c.ca) {
      return;
    }
    const missing = CA_USAGES.filter((u) => u !== "digital_signature" && !c.uses.includes(u));
    if (missing.length > 0) {
      report(
        `${cert.label}: a CA certificate needs ${listed(missing)}; add ${them(missing)} to allowedUses.`,
      );
    }
    const pathLength = num(cert.props.maxPathLength);
    if (isUnknown(pathLength)) {
      return unchecked(cert, "maxPathLength", "the CA path length");
    }
    if (pathLength === undefined || pathLength < 0) {
      report(
        `${cert.label}: a CA certificate needs a path length constraint; set maxPathLength ` +
          `(0 for an issuer that signs only leaves, 1 for a root above one intermediate).`,
      );
    }
  },
});

export const mtlsUsages = resourcePolicy({
  name: "mtls-usages",
  description:
    "Checks whether a leaf certificate has digital_signature, server_auth and client_auth, so a service can both serve and call over mutual TLS.",
  enforcementLevel: "mandatory",
  types: CERTIFICATES,
  validate: (cert, _config, report, unchecked) => {
    const c = kindAndUsages(cert, "the mTLS usages", unchecked);
    if (c === undefined || c.ca) {
      return;
    }
    const missing = MTLS_USAGES.filter((u) => !c.uses.includes(u));
    if (missing.length > 0) {
      report(
        `${cert.label}: a mesh leaf needs ${listed(missing)}; add ${them(missing)} to allowedUses.`,
      );
    }
  },
});

export const knownUsages = resourcePolicy({
  name: "known-usages",
  description:
    "Checks whether every name in a certificate's allowedUses is one the tls provider knows.",
  enforcementLevel: "mandatory",
  types: CERTIFICATES,
  validate: (cert, _config, report, unchecked) => {
    const uses = usages(cert.props);
    const unknownNames = uses.known.filter((u) => !(KNOWN_USAGES as readonly string[]).includes(u));
    if (unknownNames.length > 0) {
      report(
        `${cert.label}: allowedUses has unrecognised ${listed(unknownNames)}; use the tls provider's ` +
          `names (e.g. digital_signature, server_auth, client_auth, cert_signing).`,
      );
    }
    if (uses.unknown) {
      unchecked(cert, "allowedUses", "each usage name");
    }
  },
});

/** The private key behind a certificate: directly for a self-signed one, through its request otherwise. */
export function keyOf(
  resources: { dependencies(of: Subject, ...types: string[]): Subject[] },
  cert: Subject,
): Subject | undefined {
  const requests =
    cert.type === SELF_SIGNED_CERT ? [cert] : resources.dependencies(cert, CERT_REQUEST);
  return requests.flatMap((r) => resources.dependencies(r, PRIVATE_KEY))[0];
}

export const keyEnciphermentOnlyForRsa = stackPolicy({
  name: "key-encipherment-only-for-rsa",
  description:
    "Checks whether key_encipherment appears only on certificates whose key is RSA (ECDSA and Ed25519 keys cannot encipher).",
  enforcementLevel: "mandatory",
  validate: (resources, _config, report, unchecked) => {
    for (const cert of resources.ofType(...CERTIFICATES)) {
      const uses = usages(cert.props);
      if (!uses.known.includes("key_encipherment")) {
        if (uses.unknown) {
          unchecked(cert, "allowedUses", "key_encipherment against the key algorithm");
        }
        continue;
      }
      const key = keyOf(resources, cert);
      if (key === undefined) {
        continue;
      }
      const algorithm = str(key.props.algorithm);
      if (isUnknown(algorithm)) {
        unchecked(key, "algorithm", `key_encipherment on ${cert.label}`);
      } else if (algorithm === "ECDSA" || algorithm === "ED25519") {
        report(
          `${cert.label}: key_encipherment is meaningless for its ${algorithm} key ${key.label}; ` +
            `remove key_encipherment from allowedUses.`,
          cert.urn,
        );
      }
    }
  },
});

export const usagePolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  leafCannotSign,
  caConstraints,
  mtlsUsages,
  knownUsages,
  keyEnciphermentOnlyForRsa,
];
