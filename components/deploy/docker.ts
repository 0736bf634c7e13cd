/**
 * The `docker` deploy target wired from the stack config: a DockerDeployment (dockerDeployment.ts) named
 * after the stack, images and host ports from the config (dockerPorts.ts), checked before anything is
 * declared, and the preflight that asks the Docker engine about them (dockerProbe.ts) before any Docker
 * object is declared.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MeshAlertRules } from "../alerts-component";
import type { MeshConfig } from "../config";
import type { Mesh } from "../mesh";
import { checkArgs, DockerDeployment, DockerDeploymentArgs, DockerShape } from "./dockerDeployment";
import { hostPorts } from "./dockerPorts";
import { DockerProviderSettings, enginePreflight } from "./dockerProbe";
import {
  DEFAULT_HOST_PORT_BASE,
  DEFAULT_PROMETHEUS_HOST_PORT,
  DEFAULT_PROMETHEUS_IMAGE,
} from "./dockerSpec";
import { serviceImage } from "./kubernetesSpec";

export {
  DockerDeployment,
  dockerPlan,
  type DockerDeploymentArgs,
  type DockerServiceArgs,
  type DockerServiceObjects,
} from "./dockerDeployment";

export interface DockerTargetOptions {
  /**
   * The stack whose name prefixes the network and the containers.
   * @default pulumi.getStack()
   */
  stack?: string;
  /**
   * The check before any Docker object is declared.
   * @default the engine the docker provider will use (`docker:host`, else DOCKER_HOST), asked about every
   *   image and host port (dockerProbe.ts)
   */
  preflight?: DockerDeploymentArgs["preflight"];
}

/**
 * The docker target wired from the stack config: names from the stack, images and host ports from the
 * config, checked before anything is declared (a service without an image stops the program here, before
 * the mesh exists), and the engine's preflight.
 */
export function dockerTarget(
  config: MeshConfig,
  options: DockerTargetOptions = {},
): (mesh: Mesh, alerts?: MeshAlertRules) => DockerDeployment {
  const prefix = `mesh-pki-${options.stack ?? pulumi.getStack()}`;
  const ports = hostPorts(
    Object.values(config.services).map((s) => ({ name: s.name, hostPort: s.deploy.hostPort })),
    config.deploy.hostPortBase ?? DEFAULT_HOST_PORT_BASE,
  );
  const shape: DockerShape = {
    prefix,
    services: Object.fromEntries(
      Object.values(config.services).map((s) => [
        s.name,
        {
          image: serviceImage(s.name, config.deploy.image, s.deploy.image),
          hostPort: ports[s.name],
        },
      ]),
    ),
    prometheus: {
      image: config.deploy.prometheusImage ?? DEFAULT_PROMETHEUS_IMAGE,
      hostPort: config.deploy.prometheusHostPort ?? DEFAULT_PROMETHEUS_HOST_PORT,
    },
  };
  try {
    checkArgs("mesh-docker", shape);
  } catch (err) {
    throw new pulumi.RunError((err as Error).message);
  }
  const preflight = options.preflight ?? enginePreflight(dockerProviderSettings());

  return (mesh, alerts) =>
    new DockerDeployment("mesh-docker", {
      prefix,
      trustBundlePem: mesh.trustBundlePem,
      tls: config.tls,
      services: Object.fromEntries(
        Object.values(config.services).map((s) => [
          s.name,
          {
            ...shape.services[s.name],
            chainPem: mesh.services[s.name].chainPem,
            keyPem: mesh.services[s.name].privateKeyPem,
            port: s.deploy.port,
          },
        ]),
      ),
      prometheus: alerts && { ...shape.prometheus!, rulesYaml: alerts.rulesYaml },
      preflight,
    });
}

/** The `docker:*` provider settings of the stack, so the preflight reaches the provider's engine. */
function dockerProviderSettings(): DockerProviderSettings {
  const all = pulumi.runtime.allConfig();
  return {
    host: all["docker:host"],
    caMaterial: all["docker:caMaterial"],
    certMaterial: all["docker:certMaterial"],
    keyMaterial: all["docker:keyMaterial"],
  };
}
