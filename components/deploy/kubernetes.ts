/**
 * The `kubernetes` deploy target: a namespace, and per service a `kubernetes.io/tls` Secret (with
 * `ca.crt`), a Deployment that mounts it read-only as a directory (never `subPath`, so a rotated Secret
 * reaches the files) and carries the certificate's checksum in its pod template (so a rotation rolls the
 * pods, and nothing else does), and a Service. Applied to a cluster from a kubeconfig, or rendered as YAML
 * into a directory.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { isDnsLabel } from "../../rules/tls";
import {
  CERT_MOUNT_PATH,
  CERT_VOLUME,
  CHECKSUM_ANNOTATION,
  MTLS_PORT,
  SECRET_FILE_MODE,
  certChecksum,
  secretName,
  selectorLabels,
  serviceEnv,
  serviceLabels,
  tlsSecretData,
} from "./kubernetesSpec";

/** Supplementary group of every pod process, which owns the mounted Secret files (mode 0440). */
export const POD_FS_GROUP = 65532;

export interface KubernetesServiceArgs {
  /** Leaf certificate, followed by the intermediate when there is one. */
  chainPem: pulumi.Input<string>;
  /** The service's private key; secret. */
  keyPem: pulumi.Input<string>;
  /** The image the Deployment runs. */
  image: string;
  /**
   * The port the service listens on for mTLS.
   * @default 8443
   */
  port?: number;
}

/** Where the objects go: a cluster reached through a kubeconfig, or YAML files in a directory. */
export type KubernetesCluster =
  | {
      kind: "kubeconfig";
      /** Absolute path of the kubeconfig; undefined: the provider reads `KUBECONFIG` or ~/.kube/config. */
      kubeconfig?: string;
      /** A context that exists in that kubeconfig (checked before, see kubeconfig.ts). */
      context: string;
    }
  | {
      kind: "render";
      /** Absolute directory the manifests are written under. */
      directory: string;
    };

export interface KubernetesDeploymentArgs {
  /** The namespace the stack creates and puts every object in; a DNS label. */
  namespace: string;
  cluster: KubernetesCluster;
  /** The trust bundle every service verifies its peers against (`ca.crt`). */
  trustBundlePem: pulumi.Input<string>;
  /** The TLS profile every service gets as MTLS_MIN_VERSION and MTLS_CIPHERS. */
  tls: { minVersion: string; ciphers: string[] };
  /** Per service name, its identity and how it runs. */
  services: Record<string, KubernetesServiceArgs>;
  /**
   * Prometheus rule groups for the mesh; when given, a ConfigMap holds them for a Prometheus that loads
   * rule files from ConfigMaps (a `PrometheusRule` needs the operator's CRD, which not every cluster has).
   */
  alertRulesYaml?: pulumi.Input<string>;
  /**
   * Pods per Deployment.
   * @default 2
   */
  replicas?: number;
  /**
   * Annotate Deployments and Services with `pulumi.com/skipAwait` so the provider does not wait for
   * pods; only for clusters without nodes, where no pod ever becomes ready.
   * @default false
   */
  skipAwait?: boolean;
}

/** What one service got in the cluster. */
export interface KubernetesServiceObjects {
  readonly secret: k8s.core.v1.Secret;
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service: k8s.core.v1.Service;
  /** The pod-template checksum of the certificate chain and CA bundle. */
  readonly checksum: pulumi.Output<string>;
}

/** The ConfigMap, and its key, that hold the mesh's Prometheus rules. */
export const ALERT_RULES_CONFIGMAP = "mesh-pki-alert-rules";
export const ALERT_RULES_FILE = "mesh-pki.rules.yml";

export class KubernetesDeployment extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  /** The directory of the rendered manifests, when the target renders instead of applying. */
  readonly renderDirectory: string | undefined;
  readonly services: Readonly<Record<string, KubernetesServiceObjects>>;
  /** Per service, the checksum in its pod template. */
  readonly checksums: pulumi.Output<Record<string, string>>;

  constructor(
    name: string,
    args: KubernetesDeploymentArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    // Arguments are checked before the component registers, so a bad one leaves nothing behind.
    checkArgs(name, args);
    const replicas = args.replicas ?? 2;

    super("mesh-pki:deploy:KubernetesDeployment", name, {}, opts);

    // A rotation must update each Secret in place: the provider's default replaces a Secret whose data
    // changes, and deleting a Secret that a Deployment mounts replaces the Deployment too (its pods go
    // all at once instead of rolling). enableSecretMutable makes data changes plain updates.
    const provider = new k8s.Provider(
      `${name}-provider`,
      args.cluster.kind === "render"
        ? { renderYamlToDirectory: args.cluster.directory, enableSecretMutable: true }
        : {
            kubeconfig: args.cluster.kubeconfig,
            context: args.cluster.context,
            enableSecretMutable: true,
          },
      { parent: this },
    );
    const childOpts = { parent: this, provider };

    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: args.namespace, labels: { "app.kubernetes.io/part-of": "mesh-pki" } } },
      childOpts,
    );
    const ns = namespace.metadata.name;
    const awaitAnnotations: Record<string, string> = args.skipAwait
      ? { "pulumi.com/skipAwait": "true" }
      : {};

    const services: Record<string, KubernetesServiceObjects> = {};
    for (const [service, spec] of Object.entries(args.services)) {
      const port = spec.port ?? MTLS_PORT;
      const labels = serviceLabels(service);

      const secret = new k8s.core.v1.Secret(
        `${name}-${service}-secret`,
        {
          metadata: { name: secretName(service), namespace: ns, labels },
          type: "kubernetes.io/tls",
          data: pulumi.secret(
            pulumi
              .all([spec.chainPem, spec.keyPem, args.trustBundlePem])
              .apply(([chain, key, bundle]) => tlsSecretData(chain, key, bundle)),
          ),
        },
        childOpts,
      );

      const checksum = pulumi
        .all([spec.chainPem, args.trustBundlePem])
        .apply(([chain, bundle]) => certChecksum(chain, bundle));

      const deployment = new k8s.apps.v1.Deployment(
        `${name}-${service}-deployment`,
        {
          metadata: { name: service, namespace: ns, labels, annotations: awaitAnnotations },
          spec: {
            replicas,
            selector: { matchLabels: selectorLabels(service) },
            template: {
              metadata: { labels, annotations: { [CHECKSUM_ANNOTATION]: checksum } },
              spec: {
                securityContext: { fsGroup: POD_FS_GROUP },
                containers: [
                  {
                    name: service,
                    image: spec.image,
                    ports: [{ name: "mtls", containerPort: port, protocol: "TCP" }],
                    env: serviceEnv(service, port, args.tls),
                    volumeMounts: [
                      { name: CERT_VOLUME, mountPath: CERT_MOUNT_PATH, readOnly: true },
                    ],
                  },
                ],
                volumes: [
                  {
                    name: CERT_VOLUME,
                    secret: { secretName: secretName(service), defaultMode: SECRET_FILE_MODE },
                  },
                ],
              },
            },
          },
        },
        // The Secret's name is written out rather than read from the resource, so that an update of the
        // Secret leaves nothing unknown in the Deployment but its checksum; dependsOn keeps the order.
        { ...childOpts, dependsOn: [secret] },
      );

      const serviceObject = new k8s.core.v1.Service(
        `${name}-${service}-service`,
        {
          metadata: { name: service, namespace: ns, labels, annotations: awaitAnnotations },
          spec: {
            type: "ClusterIP",
            selector: selectorLabels(service),
            ports: [{ name: "mtls", port, targetPort: "mtls", protocol: "TCP" }],
          },
        },
        childOpts,
      );

      services[service] = { secret, deployment, service: serviceObject, checksum };
    }

    // The rules carry each certificate's not-after, so a rotation changes them; the provider replaces a
    // ConfigMap whose data changes, which for rule files only means Prometheus reloads them.
    if (args.alertRulesYaml !== undefined) {
      new k8s.core.v1.ConfigMap(
        `${name}-alert-rules`,
        {
          metadata: {
            name: ALERT_RULES_CONFIGMAP,
            namespace: ns,
            labels: { "app.kubernetes.io/part-of": "mesh-pki", "prometheus.io/rules": "true" },
          },
          data: { [ALERT_RULES_FILE]: args.alertRulesYaml },
        },
        childOpts,
      );
    }

    this.namespace = ns;
    this.renderDirectory = args.cluster.kind === "render" ? args.cluster.directory : undefined;
    this.services = services;
    this.checksums = pulumi.output(
      Object.fromEntries(Object.entries(services).map(([s, o]) => [s, o.checksum])),
    );
    this.registerOutputs({
      namespace: this.namespace,
      renderDirectory: this.renderDirectory,
      checksums: this.checksums,
    });
  }
}

function checkArgs(name: string, args: KubernetesDeploymentArgs): void {
  const where = `KubernetesDeployment ${name}`;
  if (!isDnsLabel(args.namespace)) {
    throw new Error(
      `${where}: namespace "${args.namespace}" is not a DNS label (lower-case letters, digits, inner hyphens); set mesh-pki:deploy.namespace to a name such as mesh-pki`,
    );
  }
  if (Object.keys(args.services).length === 0) {
    throw new Error(
      `${where}: the kubernetes deploy target needs at least one service in mesh-pki:services`,
    );
  }
  for (const [service, spec] of Object.entries(args.services)) {
    if (!isDnsLabel(service)) {
      throw new Error(
        `${where}: service "${service}" is not a DNS label, so it cannot name a Deployment; rename it`,
      );
    }
    if (
      spec.port !== undefined &&
      (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535)
    ) {
      throw new Error(
        `${where}: port ${spec.port} of service ${service} is not between 1 and 65535`,
      );
    }
  }
  if (args.replicas !== undefined && (!Number.isInteger(args.replicas) || args.replicas < 0)) {
    throw new Error(`${where}: replicas ${args.replicas} must be a whole number, 0 or more`);
  }
  if (args.cluster.kind === "render" && !args.cluster.directory.startsWith("/")) {
    throw new Error(`${where}: the render directory must be absolute; resolve it first`);
  }
}
