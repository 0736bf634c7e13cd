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

export const leafValidityCeiling = resourcePolicy<LeafValidityConfig>({
  name: "leaf-validity-ceiling",
  description:
    "Checks whether a leaf certificate is valid for at most the configured number of days.",
  enforcementLevel: "mandatory",
  types: CERTIFICATES,
  config: {
    maxDays: {
      type: "integer",
      minimum: 1,
      default: LEAF_MAX_VALIDITY_DAYS,
      description: "The longest validity of a leaf certificate, in days (CA/Browser Forum: 398).",
    },
  },
  validate: (cert, config, report, unchecked) => {
    const hours = validityOf(cert, false, unchecked);
    if (hours !== undefined && hours > config.maxDays * HOURS_PER_DAY) {
      report(
        `${cert.label}: a leaf valid for ${hours} h (${days(hours)}) exceeds ${config.maxDays} days; ` +
          `set validityPeriodHours to at most ${config.maxDays * HOURS_PER_DAY}.`,
      );
    }
  },
});

export const leafValidityAdvisory = resourcePolicy<LeafValidityConfig>({
  name: "leaf-validity-advisory",
  description:
    "Checks whether a leaf certificate stays within the modern TLS profile's recommended validity.",
  enforcementLevel: "advisory",
  types: CERTIFICATES,
  config: {
    maxDays: {
      type: "integer",
      minimum: 1,
      default: LEAF_ADVISORY_VALIDITY_DAYS,
      description: "The recommended longest validity of a leaf certificate, in days.",
    },
  },
  validate: (cert, config, report, unchecked) => {
    const hours = validityOf(cert, false, unchecked);
    if (hours !== undefined && hours > config.maxDays * HOURS_PER_DAY) {
      report(
        `${cert.label}: a leaf valid for ${hours} h (${days(hours)}) is longer than the recommended ` +
          `${config.maxDays} days; consider validityPeriodHours of at most ${config.maxDays * HOURS_PER_DAY}.`,
      );
    }
  },
});

export const caValidityCeiling = resourcePolicy<LeafValidityConfig>({
  name: "ca-validity-ceiling",
  description:
    "Checks whether a CA certificate is valid for at most the configured number of days.",
  enforcementLevel: "mandatory",
  types: CERTIFICATES,
  config: {
    maxDays: {
      type: "integer",
      minimum: 1,
      default: CA_MAX_VALIDITY_DAYS,
      description: "The longest validity of a CA certificate, in days (10 years).",
    },
  },
  validate: (cert, config, report, unchecked) => {
    const hours = validityOf(cert, true, unchecked);
    if (hours !== undefined && hours > config.maxDays * HOURS_PER_DAY) {
      report(
        `${cert.label}: a CA valid for ${hours} h (${days(hours)}) exceeds ${config.maxDays} days; ` +
          `set validityPeriodHours to at most ${config.maxDays * HOURS_PER_DAY}.`,
      );
    }
  },
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
