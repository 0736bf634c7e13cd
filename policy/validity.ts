/** Validity: ceilings for leaves and CAs, and a renewal window that rotation can rely on. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  CA_MAX_VALIDITY_DAYS,
  HOURS_PER_DAY,
  LEAF_ADVISORY_VALIDITY_DAYS,
  LEAF_MAX_VALIDITY_DAYS,
  MIN_RENEWAL_SHARE,
  renewalProblem,
} from "../rules/tls";
import { isCa, validityHours } from "./lib/certs";
import { isUnknown, num } from "./lib/known";
import { resourcePolicy, type Subject, type Unchecked } from "./lib/policy";
import { CERTIFICATES } from "./lib/types";

/**
 * The validity of a certificate of the wanted kind (leaf or CA), or undefined when the certificate is of
 * the other kind or a value is unknown (then recorded as not checked).
 */
function validityOf(cert: Subject, wantCa: boolean, unchecked: Unchecked): number | undefined {
  const ca = isCa(cert.props);
  if (isUnknown(ca)) {
    unchecked(cert, "isCaCertificate", "the validity ceiling");
    return undefined;
  }
  if (ca !== wantCa) {
    return undefined;
  }
  const hours = validityHours(cert.props);
  if (isUnknown(hours)) {
    unchecked(cert, "validityPeriodHours", "the validity ceiling");
    return undefined;
  }
  return hours;
}

function days(hours: number): string {
  const d = hours / HOURS_PER_DAY;
  return `${Number.isInteger(d) ? d : d.toFixed(1)} days`;
}

export interface LeafValidityConfig {
  maxDays: number;
}

/** One validity ceiling: for leaves or CAs, its default in days, and how its violation reads. */
function validityCeiling(spec: {
  name: string;
  description: string;
  enforcementLevel: "mandatory" | "advisory";
  ca: boolean;
  defaultDays: number;
  daysDescription: string;
  /** The end of the message after "<resource>: a <kind> valid for <h> h (<d> days) ". */
  problem: (maxDays: number) => string;
}): ResourceValidationPolicy {
  return resourcePolicy<LeafValidityConfig>({
    name: spec.name,
    description: spec.description,
    enforcementLevel: spec.enforcementLevel,
    types: CERTIFICATES,
    config: {
      maxDays: {
        type: "integer",
        minimum: 1,
        default: spec.defaultDays,
        description: spec.daysDescription,
      },
    },
    validate: (cert, config, report, unchecked) => {
      const hours = validityOf(cert, spec.ca, unchecked);
      if (hours !== undefined && hours > config.maxDays * HOURS_PER_DAY) {
        const kind = spec.ca ? "CA" : "leaf";
        report(
          `${cert.label}: a ${kind} valid for ${hours} h (${days(hours)}) ${spec.problem(config.maxDays)}`,
        );
      }
    },
  });
}

export const leafValidityCeiling = validityCeiling({
  name: "leaf-validity-ceiling",
  description:
    "Checks whether a leaf certificate is valid for at most the configured number of days.",
  enforcementLevel: "mandatory",
  ca: false,
  defaultDays: LEAF_MAX_VALIDITY_DAYS,
  daysDescription: "The longest validity of a leaf certificate, in days (CA/Browser Forum: 398).",
  problem: (maxDays) =>
    `exceeds ${maxDays} days; set validityPeriodHours to at most ${maxDays * HOURS_PER_DAY}.`,
});

export const leafValidityAdvisory = validityCeiling({
  name: "leaf-validity-advisory",
  description:
    "Checks whether a leaf certificate stays within the modern TLS profile's recommended validity.",
  enforcementLevel: "advisory",
  ca: false,
  defaultDays: LEAF_ADVISORY_VALIDITY_DAYS,
  daysDescription: "The recommended longest validity of a leaf certificate, in days.",
  problem: (maxDays) =>
    `is longer than the recommended ${maxDays} days; consider validityPeriodHours of at most ` +
    `${maxDays * HOURS_PER_DAY}.`,
});

export const caValidityCeiling = validityCeiling({
  name: "ca-validity-ceiling",
  description:
    "Checks whether a CA certificate is valid for at most the configured number of days.",
  enforcementLevel: "mandatory",
  ca: true,
  defaultDays: CA_MAX_VALIDITY_DAYS,
  daysDescription: "The longest validity of a CA certificate, in days (10 years).",
  problem: (maxDays) =>
    `exceeds ${maxDays} days; set validityPeriodHours to at most ${maxDays * HOURS_PER_DAY}.`,
});

export interface RenewalWindowConfig {
  minShare: number;
}

export const renewalWindow = resourcePolicy<RenewalWindowConfig>({
  name: "renewal-window",
  description:
    "Checks whether a certificate has a renewal window (earlyRenewalHours) shorter than its validity and at least the configured share of it.",
  enforcementLevel: "mandatory",
  types: CERTIFICATES,
  config: {
    minShare: {
      type: "number",
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: MIN_RENEWAL_SHARE,
      description: "The smallest fraction of the validity that the renewal window must cover.",
    },
  },
  validate: (cert, config, report, unchecked) => {
    const hours = validityHours(cert.props);
    const renewBefore = num(cert.props.earlyRenewalHours);
    if (isUnknown(hours) || isUnknown(renewBefore)) {
      const path = isUnknown(hours) ? "validityPeriodHours" : "earlyRenewalHours";
      return unchecked(cert, path, "the renewal window");
    }
    if (hours === undefined) {
      return;
    }
    const problem = renewalProblem(hours, renewBefore, config.minShare);
    if (problem !== undefined) {
      report(`${cert.label}: ${problem}.`);
    }
  },
});

export const validityPolicies: ResourceValidationPolicy[] = [
  leafValidityCeiling,
  leafValidityAdvisory,
  caValidityCeiling,
  renewalWindow,
];
