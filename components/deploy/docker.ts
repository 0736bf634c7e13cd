/**
 * The `docker` deploy target: a network and one container per service, with the certificate chain, key
 * (mode 0400) and CA bundle written into the container as files, the environment contract of the design,
 * and the mTLS port published on 127.0.0.1 only. A new certificate (or trust bundle) changes the
 * container's uploads and checksum label, which replaces the container once; nothing else does.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { isDnsLabel } from "../../rules/tls";
import type { MeshAlertRules } from "../alerts-component";
import type { MeshConfig } from "../config";
import type { Mesh } from "../mesh";
import {
  DEFAULT_HOST_PORT_BASE,
  DEFAULT_PROMETHEUS_HOST_PORT,
  DEFAULT_PROMETHEUS_IMAGE,
  PROMETHEUS_PORT,
  PUBLISH_IP,
  dockerEnvs,
  dockerLabels,
  dockerNames,
  dockerUploads,
  prometheusLabels,
  prometheusUploads,
} from "./dockerSpec";
import { hostPorts } from "./dockerPorts";
import { MTLS_PORT, serviceImage } from "./kubernetesSpec";

export interface DockerServiceArgs {
  /** Leaf certificate, followed by the intermediate when there is one. */
  chainPem: pulumi.Input<string>;
  /** The service's private key; secret. */
  keyPem: pulumi.Input<string>;
  /** An image present on the Docker engine. */
  image: string;
  /**
   * The port the service listens on for mTLS inside the container.
   * @default 8443
   */
  port?: number;
  /** The port on 127.0.0.1 that reaches the service's mTLS port. */
  hostPort: number;
}

export interface DockerDeploymentArgs {
  /** Prefix of the network's and the containers' names; a DNS label. */
  prefix: string;
  /** The trust bundle every service verifies its peers against. */
  trustBundlePem: pulumi.Input<string>;
  /** The TLS profile every service gets as MTLS_MIN_VERSION and MTLS_CIPHERS. */
  tls: { minVersion: string; ciphers: string[] };
  /** Per service name, its identity and how it runs. */
  services: Record<string, DockerServiceArgs>;
  /**
   * When given, a `<prefix>-prometheus` container on the network evaluates the mesh's alert rules, its
   * port 9090 published on 127.0.0.1; new rules replace it.
   */
  prometheus?: {
    /** The rule file (MeshAlertRules.rulesYaml). */
    rulesYaml: pulumi.Input<string>;
    /** An image present on the Docker engine, with the official image's entrypoint and config path. */
    image: string;
    /** The port on 127.0.0.1 that reaches Prometheus's 9090. */
    hostPort: number;
  };
}

export interface DockerServiceObjects {
  readonly image: docker.RemoteImage;
  readonly container: docker.Container;
}

export class DockerDeployment extends pulumi.ComponentResource {
  readonly network: pulumi.Output<string>;
  /** Per service, its container's name. */
  readonly containers: pulumi.Output<Record<string, string>>;
  /** Per service, the URL of its mTLS port on the host. */
  readonly endpoints: pulumi.Output<Record<string, string>>;
  readonly services: Readonly<Record<string, DockerServiceObjects>>;
  /** The Prometheus container and its image, when alert rules were given. */
  readonly prometheus?: DockerServiceObjects;

  constructor(name: string, args: DockerDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    // Arguments are checked before the component registers, so a bad one leaves nothing behind.
    checkArgs(name, args);

    super("mesh-pki:deploy:DockerDeployment", name, {}, opts);

    // Every image is looked up first and the network waits for all of them, so a missing image stops the
    // update before any Docker object exists.
    const images = Object.fromEntries(
      Object.entries(args.services).map(([service, spec]) => [
        service,
        new docker.RemoteImage(
          `${name}-${service}-image`,
          { name: spec.image, keepLocally: true },
          { parent: this },
        ),
      ]),
    );

    const prometheusImage =
      args.prometheus &&
      new docker.RemoteImage(
        `${name}-prometheus-image`,
        { name: args.prometheus.image, keepLocally: true },
        // After the services' images, so a missing service image leaves no lookup behind either.
        { parent: this, dependsOn: Object.values(images) },
      );

    const network = new docker.Network(
      `${name}-network`,
      { name: dockerNames(args.prefix, "").network, driver: "bridge" },
      {
        parent: this,
        dependsOn: [...Object.values(images), ...(prometheusImage ? [prometheusImage] : [])],
      },
    );

    const services: Record<string, DockerServiceObjects> = {};
    for (const [service, spec] of Object.entries(args.services)) {
      const port = spec.port ?? MTLS_PORT;
      const material = pulumi.all([spec.chainPem, spec.keyPem, args.trustBundlePem]);

      const container = new docker.Container(
        `${name}-${service}`,
        {
          name: dockerNames(args.prefix, service).container,
          image: images[service].imageId,
          hostname: service,
          envs: dockerEnvs(service, port, args.tls),
          networksAdvanced: [{ name: network.name, aliases: [service] }],
          ports: [{ internal: port, external: spec.hostPort, ip: PUBLISH_IP, protocol: "tcp" }],
          uploads: pulumi.secret(
            material.apply(([chain, key, bundle]) => dockerUploads(chain, key, bundle)),
          ),
          // From the public files only, so the label stays a plain value in state.
          labels: pulumi
            .all([spec.chainPem, args.trustBundlePem])
            .apply(([chain, bundle]) => dockerLabels(chain, bundle)),
          restart: "unless-stopped",
          mustRun: true,
        },
        // The name and the host port are fixed, so the old container must go before its replacement starts.
        { parent: this, deleteBeforeReplace: true },
      );
      services[service] = { image: images[service], container };
    }

    if (args.prometheus && prometheusImage) {
      const rules = pulumi.output(args.prometheus.rulesYaml);
      const container = new docker.Container(
        `${name}-prometheus`,
        {
          name: dockerNames(args.prefix, "prometheus").container,
          image: prometheusImage.imageId,
          hostname: "prometheus",
          networksAdvanced: [{ name: network.name, aliases: ["prometheus"] }],
          ports: [
            {
              internal: PROMETHEUS_PORT,
              external: args.prometheus.hostPort,
              ip: PUBLISH_IP,
              protocol: "tcp",
            },
          ],
          uploads: rules.apply(prometheusUploads),
          labels: rules.apply(prometheusLabels),
          restart: "unless-stopped",
          mustRun: true,
        },
        { parent: this, deleteBeforeReplace: true },
      );
      this.prometheus = { image: prometheusImage, container };
    }

    this.network = network.name;
    this.services = services;
    this.containers = pulumi.output(
      Object.fromEntries(Object.entries(services).map(([s, o]) => [s, o.container.name])),
    );
    this.endpoints = pulumi.output(
      Object.fromEntries(
        Object.entries(args.services).map(([s, spec]) => [
          s,
          `https://${PUBLISH_IP}:${spec.hostPort}`,
        ]),
      ),
    );
    this.registerOutputs({
      network: this.network,
      containers: this.containers,
      endpoints: this.endpoints,
    });
  }
}

function checkArgs(name: string, args: DockerDeploymentArgs): void {
  const where = `DockerDeployment ${name}`;
  if (!isDnsLabel(args.prefix)) {
    throw new Error(
      `${where}: prefix "${args.prefix}" is not a DNS label (lower-case letters, digits, inner hyphens); use a stack name such as dev`,
    );
  }
  if (Object.keys(args.services).length === 0) {
    throw new Error(
      `${where}: the docker deploy target needs at least one service in mesh-pki:services`,
    );
  }
  const byPort = new Map<number, string>();
  for (const [service, spec] of Object.entries(args.services)) {
    if (spec.image.trim() === "") {
      throw new Error(
        `${where}: service ${service} has no image; set mesh-pki:services.${service}.deploy.image or mesh-pki:deploy.image`,
      );
    }
    const other = byPort.get(spec.hostPort);
    if (other !== undefined) {
      throw new Error(
        `${where}: services ${other} and ${service} both publish 127.0.0.1:${spec.hostPort}; give each its own host port`,
      );
    }
    byPort.set(spec.hostPort, service);
  }
  const prometheus = args.prometheus;
  if (prometheus !== undefined) {
    if (prometheus.image.trim() === "") {
      throw new Error(
        `${where}: the Prometheus image is empty; set mesh-pki:deploy.prometheusImage`,
      );
    }
    const other = byPort.get(prometheus.hostPort);
    if (other !== undefined) {
      throw new Error(
        `${where}: service ${other} and Prometheus both publish 127.0.0.1:${prometheus.hostPort}; set another mesh-pki:deploy.prometheusHostPort`,
      );
    }
  }
}

/** The docker target wired from the stack config: names from the stack, host ports from the config. */
export function dockerTarget(
  config: MeshConfig,
  stack = pulumi.getStack(),
): (mesh: Mesh, alerts?: MeshAlertRules) => DockerDeployment {
  const ports = hostPorts(
    Object.values(config.services).map((s) => ({ name: s.name, hostPort: s.deploy.hostPort })),
    config.deploy.hostPortBase ?? DEFAULT_HOST_PORT_BASE,
  );
  return (mesh, alerts) =>
    new DockerDeployment("mesh-docker", {
      prefix: `mesh-pki-${stack}`,
      trustBundlePem: mesh.trustBundlePem,
      tls: config.tls,
      services: Object.fromEntries(
        Object.values(config.services).map((s) => [
          s.name,
          {
            chainPem: mesh.services[s.name].chainPem,
            keyPem: mesh.services[s.name].privateKeyPem,
            image: serviceImage(s.name, config.deploy.image, s.deploy.image),
            port: s.deploy.port,
            hostPort: ports[s.name],
          },
        ]),
      ),
      prometheus: alerts && {
        rulesYaml: alerts.rulesYaml,
        image: config.deploy.prometheusImage ?? DEFAULT_PROMETHEUS_IMAGE,
        hostPort: config.deploy.prometheusHostPort ?? DEFAULT_PROMETHEUS_HOST_PORT,
      },
    });
}
