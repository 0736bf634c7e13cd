/**
 * The stack config schema, key by key. Each top-level key of the `mesh-pki:` namespace is one line of
 * TOP_LEVEL_KEYS; cross-key checks live in configChecks.ts and the parsing of Pulumi's raw strings in
 * config.ts. Defaults reproduce the reference mesh. Pure: no Pulumi.
 */
import { z } from "zod";
import { alertsConfigSchema } from "./alerts-config";
import { deployConfigSchema } from "./deploy/config";
import { leafHours, rotationConfigSchema, serviceRotationSchema } from "./rotationConfig";
import {
  CA_MAX_VALIDITY_DAYS,
  KEY_ALGORITHMS,
  LEAF_MAX_VALIDITY_DAYS,
  TLS_VERSIONS,
  isDnsName,
  isWildcard,
} from "../rules/tls";

/** The services of the reference mesh, in the order the design lists them. */
export const REFERENCE_SERVICES = [
  "gateway",
  "auth",
  "boards",
  "media",
  "search",
  "moderation",
] as const;

/** The TLS 1.3 suites that Node's `tls` and OpenSSL negotiate by default, strongest first. */
export const DEFAULT_TLS13_CIPHERS = [
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_AES_128_GCM_SHA256",
];

/** A strict object whose unknown-key message lists the keys it knows. */
function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")}; the known keys here are: ${known}`
        : undefined,
  });
}

const keyAlgorithm = z.enum(KEY_ALGORITHMS, {
  error: (issue) =>
    `unknown key algorithm ${JSON.stringify(issue.input)}; use one of ${KEY_ALGORITHMS.join(", ")}`,
});

function days(ceiling: number, what: string) {
  return z
    .number({ error: "expected a whole number of days" })
    .int({ error: "expected a whole number of days" })
    .min(1, { error: "must be at least 1 day" })
    .max(ceiling, {
      error: (issue) =>
        `${String(issue.input)} days is above the ${ceiling}-day ceiling for ${what}; set ${ceiling} or less`,
    });
}

const leafDays = days(LEAF_MAX_VALIDITY_DAYS, "a service certificate");
const caDays = days(CA_MAX_VALIDITY_DAYS, "a CA certificate");
const commonName = z
  .string({ error: "expected a string" })
  .min(1, { error: "must not be empty; set a common name such as ashchan-ca" })
  .max(64, { error: "is longer than the 64 characters X.509 allows in a common name; shorten it" });

const dnsNameList = z.array(z.string({ error: "expected a DNS name" }), {
  error: 'expected a list of DNS names, e.g. ["api.example.internal"]',
});
const ipList = z.array(z.string({ error: "expected an IP address" }), {
  error: 'expected a list of IP addresses, e.g. ["10.0.0.5"]',
});

/** Deployment settings per service. */
export const deploySchema = strictObject({
  image: z
    .string()
    .min(1, { error: "must not be empty; set an image reference or remove the key" })
    .optional(),
  port: z
    .number({ error: "expected a port number" })
    .int({ error: "expected a whole port number" })
    .min(1, { error: "must be between 1 and 65535" })
    .max(65535, { error: "must be between 1 and 65535" })
    .optional(),
  /**
   * For `docker`: the port on 127.0.0.1 that reaches this service's mTLS port. Unset: `deploy.hostPortBase`
   * plus the service's position in `services` (see dockerPorts.ts).
   */
  hostPort: z
    .number({ error: "expected a port number" })
    .int({ error: "expected a whole port number" })
    .min(1024, { error: "must be between 1024 and 65535 (no privileged ports)" })
    .max(65535, { error: "must be between 1024 and 65535" })
    .optional(),
});

/** One service. Unset algorithm and windows come from `serviceDefaults`. */
export const serviceSchema = strictObject({
  dnsNames: dnsNameList.default([]),
  ipAddresses: ipList.default([]),
  keyAlgorithm: keyAlgorithm.optional(),
  validityDays: leafDays.optional(),
  renewBeforeDays: leafDays.optional(),
  /** Windows in whole hours instead of days (short-lived certificates); not together with the days. */
  validityHours: leafHours.optional(),
  renewBeforeHours: leafHours.optional(),
  rotation: serviceRotationSchema.prefault({}),
  /** Services this one calls as an mTLS client; each must be a service of the mesh. */
  peers: z
    .array(z.string(), { error: 'expected a list of service names, e.g. ["auth"]' })
    .default([]),
  deploy: deploySchema.prefault({}),
});

export const serviceDefaultsSchema = strictObject({
  keyAlgorithm: keyAlgorithm.default("ecdsa-p256"),
  validityDays: leafDays.default(365),
  renewBeforeDays: leafDays.default(30),
});

export const caSchema = strictObject({
  commonName: commonName.default("ashchan-ca"),
  keyAlgorithm: keyAlgorithm.default("ecdsa-p256"),
  validityDays: caDays.default(3650),
  renewBeforeDays: caDays.default(365),
});

/** Who signs the services. The intermediate's settings are optional and only valid in that mode. */
export const issuerSchema = strictObject({
  mode: z
    .enum(["root", "intermediate"], {
      error: (issue) =>
        `unknown issuer mode ${JSON.stringify(issue.input)}; use "root" (the root CA signs the services) or "intermediate"`,
    })
    .default("root"),
  commonName: commonName.optional(),
  keyAlgorithm: keyAlgorithm.optional(),
  validityDays: caDays.optional(),
  renewBeforeDays: caDays.optional(),
});

export const tlsSchema = strictObject({
  minVersion: z
    .enum(TLS_VERSIONS, {
      error: (issue) =>
        `unknown TLS version ${JSON.stringify(issue.input)}; use ${TLS_VERSIONS.join(" or ")}`,
    })
    .default("TLSv1.3"),
  ciphers: z
    .array(z.string(), { error: "expected a list of TLS 1.3 cipher suite names" })
    .min(1, { error: "must name at least one cipher suite, e.g. TLS_AES_256_GCM_SHA384" })
    .default(DEFAULT_TLS13_CIPHERS),
});

const trustDomain = z
  .string({ error: "expected a DNS name" })
  .refine((v) => !isWildcard(v), {
    error: "a trust domain cannot be a wildcard; set a name such as ashchan.local",
  })
  .refine((v) => isDnsName(v), {
    error: "is not a DNS name of lower-case labels; set a name such as ashchan.local",
  });

/**
 * Every key of the `mesh-pki:` namespace, one line each. A key added here is read, defaulted and checked
 * like the others; keys whose schema is a string are taken as given, all others are parsed as JSON.
 */
export const TOP_LEVEL_KEYS = {
  trustDomain: trustDomain.default("ashchan.local"),
  organization: z
    .string({ error: "expected a string" })
    .min(1, { error: "must not be empty; set the organisation name for certificate subjects" })
    .max(64, { error: "is longer than 64 characters; shorten it" })
    .default("Ashchan"),
  country: z
    .string({ error: "expected a string" })
    .regex(/^[A-Z]{2}$/, { error: "must be a two-letter upper-case ISO 3166 code such as US" })
    .default("US"),
  ca: caSchema.prefault({}),
  issuer: issuerSchema.prefault({}),
  tls: tlsSchema.prefault({}),
  serviceDefaults: serviceDefaultsSchema.prefault({}),
  services: z
    .record(z.string(), serviceSchema, {
      error: 'expected an object of services by name, e.g. {"gateway": {}}',
    })
    .prefault(Object.fromEntries(REFERENCE_SERVICES.map((n) => [n, {}]))),
  alerts: alertsConfigSchema,
  deploy: deployConfigSchema,
  rotation: rotationConfigSchema,
} as const;

export type TopLevelKey = keyof typeof TOP_LEVEL_KEYS;
export const topLevelSchema = z.strictObject(TOP_LEVEL_KEYS);
export type ParsedConfig = z.output<typeof topLevelSchema>;
export type DeployConfig = z.output<typeof deploySchema>;
