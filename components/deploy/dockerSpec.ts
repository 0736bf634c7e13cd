/**
 * What the docker target puts in each container, as pure functions: names, the environment contract (the
 * kubernetes target's, so both targets hand services the same paths), the files with their modes, the
 * published port and the label that ties the container to its certificate. No Pulumi.
 */
import { createHash } from "node:crypto";
import { CERT_MOUNT_PATH, certChecksum, serviceEnv } from "./kubernetesSpec";

/** Container label whose value is the certificate's checksum: a new certificate replaces the container. */
export const DOCKER_CHECKSUM_LABEL = "mesh-pki.ashchan.local/cert-checksum";
/** The private key: only its owner (the service's user) reads it. */
export const DOCKER_KEY_MODE = "0400";
/** Certificates and the CA bundle are public. */
export const DOCKER_CERT_MODE = "0444";
/** The first host port on 127.0.0.1 for services without a hostPort of their own (see dockerPorts.ts). */
export const DEFAULT_HOST_PORT_BASE = 18443;
/** Host address every published port binds to: never an outside interface. */
export const PUBLISH_IP = "127.0.0.1";

/** Names of the stack's Docker objects: one network, one container per service. */
export function dockerNames(
  prefix: string,
  service: string,
): { network: string; container: string } {
  return { network: prefix, container: `${prefix}-${service}` };
}

/** The environment contract as Docker's `NAME=value` list. */
export function dockerEnvs(
  service: string,
  port: number,
  tls: { minVersion: string; ciphers: string[] },
): string[] {
  return serviceEnv(service, port, tls).map((e) => `${e.name}=${e.value}`);
}

export interface Upload {
  file: string;
  content: string;
  permissions: string;
}

/** The files the environment contract names, at the paths it names, with their modes. */
export function dockerUploads(chainPem: string, keyPem: string, caBundlePem: string): Upload[] {
  const file = (name: string) => `${CERT_MOUNT_PATH}/${name}`;
  return [
    { file: file("tls.crt"), content: chainPem, permissions: DOCKER_CERT_MODE },
    { file: file("tls.key"), content: keyPem, permissions: DOCKER_KEY_MODE },
    { file: file("ca.crt"), content: caBundlePem, permissions: DOCKER_CERT_MODE },
  ];
}

export function dockerLabels(
  chainPem: string,
  caBundlePem: string,
): { label: string; value: string }[] {
  return [
    { label: "app.kubernetes.io/part-of", value: "mesh-pki" },
    { label: DOCKER_CHECKSUM_LABEL, value: certChecksum(chainPem, caBundlePem) },
  ];
}

/** The Prometheus image when `deploy.prometheusImage` is unset: tools/docker.sh prometheus-image builds it. */
export const DEFAULT_PROMETHEUS_IMAGE = "mesh-pki/prometheus:local";
/** The host port on 127.0.0.1 for Prometheus when `deploy.prometheusHostPort` is unset. */
export const DEFAULT_PROMETHEUS_HOST_PORT = 19090;
/** Prometheus's port inside its container. */
export const PROMETHEUS_PORT = 9090;
/** Where the mesh's alert rules go in the Prometheus container. */
export const PROMETHEUS_RULES_FILE = "/etc/prometheus/rules/mesh-pki.rules.yml";
/** Where the official image (and the local one) reads its configuration. */
export const PROMETHEUS_CONFIG_FILE = "/etc/prometheus/prometheus.yml";
/** Container label whose value is the rules' checksum: new rules replace the container. */
export const DOCKER_RULES_CHECKSUM_LABEL = "mesh-pki.ashchan.local/rules-checksum";

/** A minimal configuration: the mesh's rule file, evaluated every 5 s. Nothing is scraped yet. */
export function prometheusConfigYaml(): string {
  return [
    "global:",
    "  evaluation_interval: 5s",
    "  scrape_interval: 15s",
    "rule_files:",
    `  - ${PROMETHEUS_RULES_FILE}`,
    "",
  ].join("\n");
}

export function prometheusUploads(rulesYaml: string): Upload[] {
  return [
    { file: PROMETHEUS_RULES_FILE, content: rulesYaml, permissions: DOCKER_CERT_MODE },
    {
      file: PROMETHEUS_CONFIG_FILE,
      content: prometheusConfigYaml(),
      permissions: DOCKER_CERT_MODE,
    },
  ];
}

export function prometheusLabels(rulesYaml: string): { label: string; value: string }[] {
  return [
    { label: "app.kubernetes.io/part-of", value: "mesh-pki" },
    {
      label: DOCKER_RULES_CHECKSUM_LABEL,
      value: createHash("sha256").update(prometheusConfigYaml()).update(rulesYaml).digest("hex"),
    },
  ];
}
