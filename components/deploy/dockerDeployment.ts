/**
 * The DockerDeployment component: a network and one container per service, with the certificate chain,
 * key (mode 0400) and CA bundle written into the container as files, the environment contract of the
 * design, and the mTLS port published on 127.0.0.1 only. A new certificate (or trust bundle) changes the
 * container's uploads and checksum label, which replaces the container once; nothing else does. Nothing
 * Docker is declared before the preflight (dockerPreflight.ts) has passed.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { isDnsLabel } from "../../rules/tls";
import { PlannedContainer } from "./dockerPreflight";
import {
  PROMETHEUS_PORT,
  PUBLISH_IP,
  dockerEnvs,
  dockerLabels,
  dockerNames,
  dockerUploads,
  prometheusLabels,
  prometheusUploads,
} from "./dockerSpec";
import { MTLS_PORT } from "./kubernetesSpec";

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
  /**
   * Checked before any Docker object is declared, in previews too (dockerProbe.ts has the real one): it
   * gets every container to run and resolves with notes to log as warnings, or rejects with an error that
   * names each problem. Every image reference waits for it and every other object for the images, so a
   * refused deployment declares nothing on Docker.
   * @default no check
   */
  preflight?: (plan: PlannedContainer[]) => Promise<string[]>;
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

    // The preflight first, then every image, and the network waits for all of them: an image or a host
    // port that cannot be had stops the update before any Docker object exists.
    const ready = this.preflight(`DockerDeployment ${name}`, dockerPlan(args), args.preflight);
    const images = Object.fromEntries(
      Object.entries(args.services).map(([service, spec]) => [
        service,
        new docker.RemoteImage(
          `${name}-${service}-image`,
          { name: spec.image, keepLocally: true },
          { parent: this, dependsOn: ready },
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

  /**
   * The preflight's verdict as what the image references depend on: nothing once it passes (its notes
   * logged as warnings), a refusal on this component when it does not.
   */
  private preflight(
    where: string,
    plan: PlannedContainer[],
    check: DockerDeploymentArgs["preflight"],
  ): pulumi.Output<pulumi.Resource[]> {
    if (check === undefined) return pulumi.output([]);
    return pulumi.output(
      check(plan).then(
        (notes) => {
          for (const note of notes) pulumi.log.warn(note, this);
          return [];
        },
        (err: unknown) => {
          throw new PreflightRefusal(`${where}: ${(err as Error).message}`, this);
        },
      ),
    );
  }
}

/**
 * The preflight's refusal, reported once by the program with its message as written. Every Docker object
 * waits for it, and the SDK prefixes the message of a rejection it meets while serializing a resource's
 * inputs and outputs with the property's name, on the error object itself, once per property it passes
 * through (runtime/rpc.js); this message ignores those prefixes.
 */
class PreflightRefusal extends pulumi.ResourceError {
  constructor(message: string, resource: pulumi.Resource) {
    super(message, resource, true);
    Object.defineProperty(this, "message", {
      get: () => message,
      set: () => undefined,
      enumerable: false,
    });
  }
}

/** Every container the deployment runs, as the preflight sees it. */
export function dockerPlan(args: DockerDeploymentArgs): PlannedContainer[] {
  const plan: PlannedContainer[] = Object.entries(args.services).map(([service, spec]) => ({
    who: `service ${service}`,
    container: dockerNames(args.prefix, service).container,
    image: spec.image,
    imageKey: `mesh-pki:services.${service}.deploy.image (or mesh-pki:deploy.image)`,
    imageHint: `build or load it first (tools/docker.sh service-image ${spec.image} builds the reference service)`,
    hostPort: spec.hostPort,
    portKey: `mesh-pki:services.${service}.deploy.hostPort`,
  }));
  if (args.prometheus !== undefined) {
    plan.push({
      who: "Prometheus",
      container: dockerNames(args.prefix, "prometheus").container,
      image: args.prometheus.image,
      imageKey: "mesh-pki:deploy.prometheusImage",
      imageHint: `build or load it first (tools/docker.sh prometheus-image ${args.prometheus.image} builds the local one)`,
      hostPort: args.prometheus.hostPort,
      portKey: "mesh-pki:deploy.prometheusHostPort",
    });
  }
  return plan;
}

/** What checkArgs needs: everything but the certificates, so the target checks it before any is declared. */
export type DockerShape = Pick<DockerDeploymentArgs, "prefix"> & {
  services: Record<string, Pick<DockerServiceArgs, "image" | "hostPort">>;
  prometheus?: { image: string; hostPort: number };
};

/** Throws, naming the argument and the config key to change, for arguments that cannot deploy. */
export function checkArgs(name: string, args: DockerShape): void {
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
