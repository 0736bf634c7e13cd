/** The TLS profile each mesh service receives: TLS 1.3 only, with a cipher list that matches it. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { deadCiphersForTls13, TLS_VERSIONS } from "../rules/tls";
import { isUnknown } from "./lib/known";
import { resourcePolicy } from "./lib/policy";
import { containersOf, envValue, isMeshService, where } from "./lib/workloads";
import { WORKLOADS } from "./lib/types";

export interface MinVersionConfig {
  minVersion: (typeof TLS_VERSIONS)[number];
}

export const tlsMinVersion = resourcePolicy<MinVersionConfig>({
  name: "tls-min-version",
  description:
    "Checks whether every mesh service is told to accept nothing older than the configured TLS version (MTLS_MIN_VERSION).",
  enforcementLevel: "mandatory",
  types: WORKLOADS,
  config: {
    minVersion: {
      type: "string",
      enum: [...TLS_VERSIONS],
      default: "TLSv1.3",
      description: "The oldest TLS version a mesh service may accept.",
    },
  },
  validate: (workload, config, report, unchecked) => {
    const floor = TLS_VERSIONS.indexOf(config.minVersion);
    for (const container of containersOf(workload)) {
      if (isUnknown(container.env)) {
        unchecked(workload, "env", "MTLS_MIN_VERSION");
        continue;
      }
      if (!isMeshService(container)) {
        continue;
      }
      const version = envValue(container, "MTLS_MIN_VERSION");
      if (isUnknown(version)) {
        unchecked(workload, "MTLS_MIN_VERSION", "the minimum TLS version");
      } else if (version === undefined || version === "") {
        report(
          `${where(workload, container)}: MTLS_MIN_VERSION is not set, so the service falls back to its ` +
            `own default; set MTLS_MIN_VERSION=${config.minVersion}.`,
        );
      } else if (TLS_VERSIONS.indexOf(version as MinVersionConfig["minVersion"]) < floor) {
        report(
          `${where(workload, container)}: MTLS_MIN_VERSION=${version} is below ${config.minVersion}; ` +
            `set MTLS_MIN_VERSION=${config.minVersion}.`,
        );
      }
    }
  },
});

export const tls13Ciphers = resourcePolicy({
  name: "tls13-ciphers",
  description:
    "Checks whether a mesh service whose minimum is TLS 1.3 lists only TLS 1.3 suites in MTLS_CIPHERS (any other suite is dead configuration).",
  enforcementLevel: "mandatory",
  types: WORKLOADS,
  validate: (workload, _config, report, unchecked) => {
    for (const container of containersOf(workload)) {
      if (isUnknown(container.env)) {
        unchecked(workload, "env", "MTLS_CIPHERS");
        continue;
      }
      const version = envValue(container, "MTLS_MIN_VERSION");
      const ciphers = envValue(container, "MTLS_CIPHERS");
      if (isUnknown(version) || isUnknown(ciphers)) {
        unchecked(
          workload,
          isUnknown(version) ? "MTLS_MIN_VERSION" : "MTLS_CIPHERS",
          "the cipher list",
        );
        continue;
      }
      if (version !== "TLSv1.3" || ciphers === undefined) {
        continue;
      }
      const dead = deadCiphersForTls13(ciphers);
      if (dead.length > 0) {
        report(
          `${where(workload, container)}: MTLS_CIPHERS has ${dead.join(", ")}, which TLS 1.3 never ` +
            `negotiates; with MTLS_MIN_VERSION=TLSv1.3 list only TLS 1.3 suites ` +
            `(e.g. TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256).`,
        );
      }
    }
  },
});

export const tlsProfilePolicies: ResourceValidationPolicy[] = [tlsMinVersion, tls13Ciphers];
