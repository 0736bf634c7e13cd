/** Subject alternative names: present, exact names only, the service among them, never shared. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { isDnsName, isWildcard } from "../rules/tls";
import { commonName, sans } from "./lib/certs";
import { isUnknown } from "./lib/known";
import { leavesOf } from "./lib/leaves";
import { resourcePolicy, stackPolicy } from "./lib/policy";
import { CERT_REQUEST, SELF_SIGNED_CERT } from "./lib/types";

export const sanNames = resourcePolicy({
  name: "san-names",
  description:
    "Checks whether every DNS name in a certificate or request is an exact, valid name and not a wildcard.",
  enforcementLevel: "mandatory",
  types: [CERT_REQUEST, SELF_SIGNED_CERT],
  validate: (resource, _config, report, unchecked) => {
    const names = sans(resource.props);
    for (const name of names.dns) {
      if (isWildcard(name)) {
        report(
          `${resource.label}: wildcard SAN ${name} would let any matching host pose as this service; ` +
            `list the exact DNS names in dnsNames instead.`,
        );
      } else if (!isDnsName(name)) {
        report(
          `${resource.label}: SAN ${name} is not a valid DNS name; use lower-case labels of letters, ` +
            `digits and inner hyphens, separated by dots.`,
        );
      }
    }
    if (names.unknown) {
      unchecked(resource, "dnsNames", "the SAN names");
    }
  },
});

export const leafSans = stackPolicy({
  name: "leaf-sans",
  description:
    "Checks whether every leaf certificate has SANs and its subject common name (the service name) is among its DNS SANs.",
  enforcementLevel: "mandatory",
  validate: (resources, _config, report, unchecked) => {
    for (const { cert, names } of leavesOf(resources, "the leaf SANs", unchecked)) {
      if (names === undefined) {
        continue;
      }
      const s = sans(names.props);
      const cn = commonName(names.props);
      const via = names === cert ? "" : ` (from ${names.label})`;
      if (s.unknown || isUnknown(cn)) {
        unchecked(names, s.unknown ? "dnsNames" : "subject.commonName", "the leaf SANs");
        continue;
      }
      if (s.dns.length + s.ip.length + s.uri.length === 0) {
        report(
          `${cert.label}${via}: a leaf certificate has no SANs and TLS clients ignore the common name; ` +
            `set dnsNames to the service name and its DNS names.`,
          names.urn,
        );
        continue;
      }
      if (cn === undefined || cn === "") {
        report(
          `${cert.label}${via}: a leaf certificate has no subject common name; set subject.commonName to the service name.`,
          names.urn,
        );
      } else if (!s.dns.includes(cn)) {
        report(
          `${cert.label}${via}: the service name ${cn} (subject common name) is not among the SANs; add it to dnsNames.`,
          names.urn,
        );
      }
    }
  },
});

export interface UniqueSansConfig {
  sharedSans: string[];
}

export const uniqueServiceSans = stackPolicy<UniqueSansConfig>({
  name: "unique-service-sans",
  description:
    "Checks whether no SAN is shared by the leaf certificates of two different services, so one service cannot pose as another.",
  enforcementLevel: "mandatory",
  config: {
    sharedSans: {
      type: "array",
      items: { type: "string" },
      default: ["localhost", "127.0.0.1", "::1"],
      description: "SANs every service may carry (loopback names that never leave the host).",
    },
  },
  validate: (resources, config, report, unchecked) => {
    // SAN -> the services (common names) whose leaves carry it, and the first leaf seen for each.
    const holders = new Map<string, Map<string, string>>();
    for (const { cert, names } of leavesOf(resources, "shared SANs", unchecked)) {
      if (names === undefined) {
        continue;
      }
      const s = sans(names.props);
      const cn = commonName(names.props);
      if (s.unknown || isUnknown(cn)) {
        unchecked(names, s.unknown ? "dnsNames" : "subject.commonName", "shared SANs");
        continue;
      }
      const service = cn ?? cert.name;
      for (const san of [...s.dns, ...s.ip, ...s.uri]) {
        if (config.sharedSans.includes(san)) {
          continue;
        }
        const services = holders.get(san) ?? new Map<string, string>();
        if (!services.has(service)) {
          services.set(service, cert.label);
        }
        holders.set(san, services);
      }
    }
    for (const [san, services] of holders) {
      if (services.size > 1) {
        const who = [...services].map(([service, label]) => `${label} (${service})`).join(", ");
        report(
          `SAN ${san} is shared by ${who}; each service's SANs must be its own, so remove ${san} ` +
            `from all but one of them.`,
        );
      }
    }
  },
});

export const sanPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  sanNames,
  leafSans,
  uniqueServiceSans,
];
