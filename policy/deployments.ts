/** How certificates reach services: keys never in environment values, files read-only and rotatable. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { at, isUnknown, list, obj, str } from "./lib/known";
import { resourcePolicy } from "./lib/policy";
import { DOCKER_CONTAINER, K8S_SECRET, WORKLOADS } from "./lib/types";
import { containersOf, holdsCertificates, where, type EnvEntry } from "./lib/workloads";

const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----/;
const KEY_NAME = /(^|_)(PRIVATE_)?KEY(_PEM)?$/i;
// "-----BEGIN" in base64 at each of the three byte alignments a value can start with.
const BASE64_PEM = /LS0tLS1CRUdJTi|tLS0tQkVHSU4|0tLS0tQkVHSU/;

/** Why an environment value carries a private key, or undefined when it does not. */
export function privateKeyInEnv(entry: EnvEntry): string | undefined {
  const value = entry.value;
  if (typeof value === "string") {
    if (PEM_PRIVATE_KEY.test(value)) {
      return "holds a PEM private key";
    }
    if (typeof entry.name === "string" && KEY_NAME.test(entry.name) && PEM_BLOCK.test(value)) {
      return "holds PEM content under a key's name";
    }
    const encoded = value.match(/[A-Za-z0-9+/=]{40,}/g) ?? [];
    if (
      encoded.some(
        (b) =>
          BASE64_PEM.test(b) && PEM_PRIVATE_KEY.test(Buffer.from(b, "base64").toString("latin1")),
      )
    ) {
      return "holds a base64-encoded PEM private key";
    }
  }
  if (entry.from?.kind === "Secret" && /(^|[._-])key$|^tls\.key$/i.test(entry.from.key)) {
    return `takes key ${entry.from.key} of Secret ${entry.from.name}`;
  }
  return undefined;
}

export const noPrivateKeyInEnv = resourcePolicy({
  name: "no-private-key-in-env",
  description:
    "Checks whether no container receives a private key through an environment variable (keys travel as files).",
  enforcementLevel: "mandatory",
  types: WORKLOADS,
  validate: (workload, _config, report, unchecked) => {
    for (const container of containersOf(workload)) {
      if (isUnknown(container.env)) {
        unchecked(workload, "env", "private keys in the environment");
        continue;
      }
      for (const entry of container.env) {
        if (isUnknown(entry.name) || isUnknown(entry.value)) {
          const name = isUnknown(entry.name) ? entry.name.path : entry.name;
          unchecked(workload, name, "whether it holds a private key");
          continue;
        }
        const why = privateKeyInEnv(entry);
        if (why !== undefined) {
          report(
            `${where(workload, container)}: environment variable ${entry.name} ${why}; ` +
              `mount the key as a read-only file and pass its path (MTLS_KEY_FILE) instead.`,
          );
        }
      }
    }
  },
});

export const certMountsReadOnly = resourcePolicy({
  name: "cert-mounts-read-only",
  description:
    "Checks whether every mount that holds certificate or key files is read-only inside the container.",
  enforcementLevel: "mandatory",
  types: WORKLOADS,
  validate: (workload, _config, report, unchecked) => {
    for (const container of containersOf(workload)) {
      for (const mount of container.mounts) {
        if (!holdsCertificates(container, mount)) {
          continue;
        }
        if (isUnknown(mount.readOnly)) {
          unchecked(workload, `readOnly of ${mount.label}`, "whether it is read-only");
        } else if (mount.readOnly !== true) {
          report(
            `${where(workload, container)}: ${mount.label} holds certificate files but is writable; ` +
              `set readOnly: true on it.`,
          );
        }
      }
    }
  },
});

export const noSubPathCertMounts = resourcePolicy({
  name: "no-subpath-cert-mounts",
  description:
    "Checks whether no certificate mount uses subPath, which freezes the file and hides every rotation from the pod.",
  enforcementLevel: "mandatory",
  types: WORKLOADS,
  validate: (workload, _config, report, unchecked) => {
    for (const container of containersOf(workload)) {
      for (const mount of container.mounts) {
        if (!holdsCertificates(container, mount)) {
          continue;
        }
        if (isUnknown(mount.subPath)) {
          unchecked(workload, `subPath of ${mount.label}`, "whether it uses subPath");
        } else if (mount.subPath !== undefined && mount.subPath !== "") {
          report(
            `${where(workload, container)}: ${mount.label} uses subPath ${mount.subPath}, so rotated ` +
              `certificates never reach the pod; mount the whole Secret volume as a directory.`,
          );
        }
      }
    }
  },
});

const TLS_SECRET_KEYS = /^(tls\.crt|tls\.key|ca\.crt)$|\.(crt|key|pem)$/;

export const tlsSecretType = resourcePolicy({
  name: "tls-secret-type",
  description:
    "Checks whether a Kubernetes Secret that holds certificates or keys has type kubernetes.io/tls with tls.crt and tls.key.",
  enforcementLevel: "mandatory",
  types: [K8S_SECRET],
  validate: (secret, _config, report, unchecked) => {
    const type = str(secret.props.type);
    if (isUnknown(type)) {
      return unchecked(secret, "type", "the Secret's type");
    }
    const data = obj(secret.props.data);
    const stringData = obj(secret.props.stringData);
    if (isUnknown(data) || isUnknown(stringData)) {
      // The API server refuses a kubernetes.io/tls Secret without tls.crt and tls.key, so only another
      // type leaves something to check: whether the hidden keys are certificate files.
      if (type !== "kubernetes.io/tls") {
        unchecked(secret, isUnknown(data) ? "data" : "stringData", "whether it holds certificates");
      }
      return;
    }
    const keys = [...Object.keys(data ?? {}), ...Object.keys(stringData ?? {})];
    const tlsKeys = keys.filter((k) => TLS_SECRET_KEYS.test(k));
    if (type !== "kubernetes.io/tls") {
      if (tlsKeys.length > 0) {
        report(
          `${secret.label}: a Secret holding ${tlsKeys.join(", ")} has type ${type ?? "Opaque"}; set ` +
            `type: kubernetes.io/tls and store the files as tls.crt, tls.key and ca.crt.`,
        );
      }
      return;
    }
    const missing = ["tls.crt", "tls.key"].filter((k) => !keys.includes(k));
    if (missing.length > 0) {
      report(`${secret.label}: a kubernetes.io/tls Secret needs ${missing.join(" and ")}; add it.`);
    }
  },
});

export interface LoopbackPortsConfig {
  loopbackOnlyStacks: string[];
}

const LOOPBACK = ["127.0.0.1", "::1"];

export const loopbackPorts = resourcePolicy<LoopbackPortsConfig>({
  name: "loopback-ports",
  description:
    "Checks whether a Docker container in a development stack publishes its ports on the loopback address only.",
  enforcementLevel: "mandatory",
  types: [DOCKER_CONTAINER],
  config: {
    loopbackOnlyStacks: {
      type: "array",
      items: { type: "string" },
      default: ["dev", "local"],
      description: "The stacks whose containers must publish ports on 127.0.0.1 only.",
    },
  },
  validate: (container, config, report, unchecked) => {
    if (!config.loopbackOnlyStacks.includes(container.stack)) {
      return;
    }
    const ports = list(container.props.ports);
    if (isUnknown(ports)) {
      return unchecked(container, "ports", "the published addresses");
    }
    for (const [i, port] of (ports ?? []).entries()) {
      const ip = str(at(port, "ip"));
      const internal = at(port, "internal");
      if (isUnknown(ip) || isUnknown(port)) {
        unchecked(container, `ports[${i}].ip`, "the published address");
      } else if (ip === undefined || !LOOPBACK.includes(ip)) {
        report(
          `${container.label}: port ${String(internal)} is published on ${ip ?? "0.0.0.0 (the default)"} ` +
            `in stack ${container.stack}; set ip: "127.0.0.1" on the port, or drop the stack from this ` +
            `policy's loopbackOnlyStacks.`,
        );
      }
    }
  },
});

export const deploymentPolicies: ResourceValidationPolicy[] = [
  noPrivateKeyInEnv,
  certMountsReadOnly,
  noSubPathCertMounts,
  tlsSecretType,
  loopbackPorts,
];
