/** Whole-stack checks: every deployed service has an identity, and no issuer expires before its leaves. */
import type { StackValidationPolicy } from "@pulumi/policy";
import { HOURS_PER_DAY } from "../rules/tls";
import { commonName, sans, validityHours } from "./lib/certs";
import { isUnknown, str } from "./lib/known";
import { leavesOf } from "./lib/leaves";
import { stackPolicy, type Subject, type Unchecked } from "./lib/policy";
import { CERTIFICATES, LOCALLY_SIGNED_CERT, WORKLOADS } from "./lib/types";
import { containersOf, serviceName, where } from "./lib/workloads";

export const serviceHasIdentity = stackPolicy({
  name: "service-has-identity",
  description:
    "Checks whether every deployed service (a container carrying SERVICE_NAME) has a leaf certificate whose common name or SAN is that service.",
  enforcementLevel: "mandatory",
  validate: (resources, _config, report, unchecked) => {
    const names = new Set<string>();
    let someUnknown = false;
    for (const { names: holder } of leavesOf(resources, "service identities", unchecked)) {
      if (holder === undefined) {
        continue;
      }
      const cn = commonName(holder.props);
      const s = sans(holder.props);
      someUnknown ||= isUnknown(cn) || s.unknown;
      for (const n of [typeof cn === "string" ? cn : "", ...s.dns, ...s.uri]) {
        names.add(n);
      }
    }

    for (const workload of resources.ofType(...WORKLOADS)) {
      for (const container of containersOf(workload)) {
        const service = serviceName(container);
        if (isUnknown(service)) {
          unchecked(workload, "SERVICE_NAME", "the service's identity");
          continue;
        }
        if (service === undefined || service === "" || names.has(service)) {
          continue;
        }
        if (someUnknown) {
          unchecked(workload, "the leaf certificates' names", `the identity of service ${service}`);
          continue;
        }
        report(
          `${where(workload, container)}: service ${service} has no leaf certificate with common name ` +
            `or SAN ${service}; issue it an identity (a key, a request with subject.commonName ` +
            `${service} and a certificate signed by the mesh CA).`,
          workload.urn,
        );
      }
    }
  },
});

/** When a certificate expires: its actual end when known, else the end it gets if issued at `now`. */
function expiry(
  cert: Subject,
  now: Date,
  unchecked: Unchecked,
): { at: number; actual: boolean } | undefined {
  const end = str(cert.props.validityEndTime);
  if (typeof end === "string" && !Number.isNaN(Date.parse(end))) {
    return { at: Date.parse(end), actual: true };
  }
  const hours = validityHours(cert.props);
  if (isUnknown(hours)) {
    unchecked(cert, "validityPeriodHours", "whether its issuer outlives it");
    return undefined;
  }
  return hours === undefined ? undefined : { at: now.getTime() + hours * 3_600_000, actual: false };
}

function describeExpiry(e: { at: number; actual: boolean }): string {
  return e.actual
    ? `expires ${new Date(e.at).toISOString()}`
    : `would expire ${new Date(e.at).toISOString()} if issued now`;
}

/** The issuer check with an injectable clock (tests pin it). */
export function issuerOutlivesLeafPolicy(
  now: () => Date = () => new Date(),
): StackValidationPolicy {
  return stackPolicy({
    name: "issuer-outlives-leaf",
    description:
      "Checks whether every issuer's certificate stays valid at least as long as each certificate it signs.",
    enforcementLevel: "mandatory",
    validate: (resources, _config, report, unchecked) => {
      const clock = now();
      for (const cert of resources.ofType(LOCALLY_SIGNED_CERT)) {
        for (const issuer of resources.dependencies(cert, ...CERTIFICATES)) {
          const leafEnd = expiry(cert, clock, unchecked);
          const issuerEnd = expiry(issuer, clock, unchecked);
          if (leafEnd === undefined || issuerEnd === undefined || issuerEnd.at >= leafEnd.at) {
            continue;
          }
          const short = Math.ceil((leafEnd.at - issuerEnd.at) / 3_600_000);
          report(
            `${cert.label} ${describeExpiry(leafEnd)}, after its issuer ${issuer.label} ` +
              `(${describeExpiry(issuerEnd)}); shorten the certificate's validityPeriodHours by at ` +
              `least ${short} h (${Math.ceil(short / HOURS_PER_DAY)} days) or renew the issuer first.`,
            cert.urn,
          );
        }
      }
    },
  });
}

export const issuerOutlivesLeaf = issuerOutlivesLeafPolicy();

export const stackPolicies: StackValidationPolicy[] = [serviceHasIdentity, issuerOutlivesLeaf];
