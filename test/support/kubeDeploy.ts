// Shared by the deploy end-to-end tests: the services they deploy and how one of them is rotated.

import { parseMeshConfig } from "../../components/config";

/** Three services keep an end-to-end run short and still show that a rotation touches only one. */
export const SERVICES_UNDER_TEST = ["gateway", "auth", "boards"];

export interface OneServiceRotation {
  /** The `mesh-pki:services` value that rotates `service` and leaves the rest as they were. */
  services: Record<string, unknown>;
  /** How: a forced rotation (key and certificate) or, where the config has none, a new SAN. */
  how: "forced" | "dnsName";
  rotatesKey: boolean;
}

/**
 * The config change that reissues one service: the forced-rotation counter when this version's config
 * has one, else an extra DNS name (which reissues the certificate on the same key).
 */
export function rotationOf(service: string, services: string[]): OneServiceRotation {
  const forced = Object.fromEntries(
    services.map((s) => [s, s === service ? { rotation: { forced: 1 } } : {}]),
  );
  try {
    parseMeshConfig({ "mesh-pki:services": JSON.stringify(forced) });
    return { services: forced, how: "forced", rotatesKey: true };
  } catch {
    const renamed = Object.fromEntries(
      services.map((s) => [s, s === service ? { dnsNames: [`${s}.rotated.internal`] } : {}]),
    );
    return { services: renamed, how: "dnsName", rotatesKey: false };
  }
}

/** The parts of a Kubernetes object the deploy tests read, from mock inputs, YAML or kubectl. */
export interface KubeObject {
  kind?: string;
  type?: string;
  data?: Record<string, string>;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    replicas: number;
    selector: unknown;
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: {
        securityContext?: unknown;
        containers: Array<{
          name: string;
          image: string;
          ports: Array<{ containerPort: number }>;
          env: unknown[];
          volumeMounts: unknown[];
        }>;
        volumes: unknown[];
      };
    };
  };
}
