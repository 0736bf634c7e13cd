/**
 * The validated config's types and the resolution of defaults that depend on other keys (service
 * settings from serviceDefaults, the intermediate's from the CA). Pure: no Pulumi.
 */
import { KeyAlgorithm } from "../rules/tls";
import { ParsedConfig } from "./configSchema";
import { ServiceRotationConfig } from "./rotationConfig";

/** A problem at a config path relative to the `mesh-pki:` namespace. */
export interface ConfigProblem {
  path: (string | number)[];
  message: string;
}

/** Validity and renewal of a CA certificate, resolved. */
export interface CaSettings {
  commonName: string;
  keyAlgorithm: KeyAlgorithm;
  validityDays: number;
  renewBeforeDays: number;
}

/** One service with its defaults applied. */
export interface ServiceConfig {
  name: string;
  keyAlgorithm: KeyAlgorithm;
  /** Days, fractional when the service sets its windows in hours. */
  validityDays: number;
  renewBeforeDays: number;
  /** The same windows in the whole hours the tls provider takes. */
  validityHours: number;
  renewBeforeHours: number;
  rotation: ServiceRotationConfig;
  /** Extra DNS names, after the ones every service gets. */
  dnsNames: string[];
  ipAddresses: string[];
  peers: string[];
  deploy: ParsedConfig["services"][string]["deploy"];
}

export type IssuerConfig = { mode: "root" } | ({ mode: "intermediate" } & CaSettings);

/** The validated stack config. Keys added to the schema later pass through unchanged. */
export type MeshConfig = Omit<ParsedConfig, "issuer" | "services"> & {
  issuer: IssuerConfig;
  services: Record<string, ServiceConfig>;
};

type RawService = ParsedConfig["services"][string];
export const WINDOW_FIELDS = ["keyAlgorithm", "validityDays", "renewBeforeDays"] as const;

/** Where a service's setting comes from: its own entry when set, else `serviceDefaults`. */
export function sourceOf(
  config: ParsedConfig,
  name: string,
  field: (typeof WINDOW_FIELDS)[number],
): (string | number)[] {
  return config.services[name][field] !== undefined
    ? ["services", name, field]
    : ["serviceDefaults", field];
}

function resolveService(config: ParsedConfig, name: string, raw: RawService): ServiceConfig {
  const d = config.serviceDefaults;
  const validityHours = raw.validityHours ?? (raw.validityDays ?? d.validityDays) * 24;
  const renewBeforeHours = raw.renewBeforeHours ?? (raw.renewBeforeDays ?? d.renewBeforeDays) * 24;
  return {
    name,
    keyAlgorithm: raw.keyAlgorithm ?? d.keyAlgorithm,
    validityDays: validityHours / 24,
    renewBeforeDays: renewBeforeHours / 24,
    validityHours,
    renewBeforeHours,
    rotation: raw.rotation,
    dnsNames: raw.dnsNames,
    ipAddresses: raw.ipAddresses,
    peers: raw.peers,
    deploy: raw.deploy,
  };
}

function resolveIssuer(config: ParsedConfig): IssuerConfig {
  const i = config.issuer;
  if (i.mode === "root") {
    return { mode: "root" };
  }
  return {
    mode: "intermediate",
    commonName: i.commonName ?? `${config.ca.commonName}-issuer`,
    keyAlgorithm: i.keyAlgorithm ?? config.ca.keyAlgorithm,
    validityDays: i.validityDays ?? Math.min(1825, config.ca.validityDays),
    renewBeforeDays: i.renewBeforeDays ?? 180,
  };
}

/** Applies defaults. Call only on a config that `configProblems` found nothing wrong with. */
export function resolveConfig(config: ParsedConfig): MeshConfig {
  const services = Object.fromEntries(
    Object.entries(config.services).map(([name, raw]) => [name, resolveService(config, name, raw)]),
  );
  return { ...config, issuer: resolveIssuer(config), services };
}
