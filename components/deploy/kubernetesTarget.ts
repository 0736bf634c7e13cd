/**
 * The kubernetes target wired from the stack config: the cluster is chosen and checked when the target is
 * chosen, before the mesh declares anything, so a missing kubeconfig or context leaves no resource behind.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { MeshAlertRules } from "../alerts-component";
import type { MeshConfig } from "../config";
import type { Mesh } from "../mesh";
import { projectDirectory } from "./files";
import { chooseKubeconfig, KubeconfigError } from "./kubeconfig";
import { KubernetesCluster, KubernetesDeployment } from "./kubernetes";
import { serviceImage } from "./kubernetesSpec";

/** The cluster of the stack config, checked; relative paths are taken from `projectDir`. */
export function kubernetesCluster(
  deploy: MeshConfig["deploy"],
  projectDir: string,
  env: NodeJS.ProcessEnv = process.env,
): KubernetesCluster {
  if (deploy.renderDirectory !== undefined) {
    return { kind: "render", directory: path.resolve(projectDir, deploy.renderDirectory) };
  }
  const choice = chooseKubeconfig({
    kubeconfig: deploy.kubeconfig,
    context: deploy.context,
    projectDir,
    env,
  });
  return { kind: "kubeconfig", kubeconfig: choice.kubeconfig, context: choice.context };
}

/**
 * Checks the cluster now and returns what declares the target once the mesh exists. A kubeconfig that
 * cannot be used stops the program with its message alone (a RunError prints no stack trace).
 */
export function kubernetesTarget(
  config: MeshConfig,
  projectDir = projectDirectory(),
): (mesh: Mesh, alerts: MeshAlertRules) => KubernetesDeployment {
  let cluster: KubernetesCluster;
  try {
    cluster = kubernetesCluster(config.deploy, projectDir);
  } catch (err) {
    if (err instanceof KubeconfigError) throw new pulumi.RunError(err.message);
    throw err;
  }

  return (mesh, alerts) =>
    new KubernetesDeployment("mesh-kubernetes", {
      alertRulesYaml: alerts.rulesYaml,
      namespace: config.deploy.namespace,
      cluster,
      trustBundlePem: mesh.trustBundlePem,
      tls: config.tls,
      replicas: config.deploy.replicas,
      skipAwait: config.deploy.skipAwait,
      services: Object.fromEntries(
        Object.values(config.services).map((s) => [
          s.name,
          {
            chainPem: mesh.services[s.name].chainPem,
            keyPem: mesh.services[s.name].privateKeyPem,
            image: serviceImage(s.name, config.deploy.image, s.deploy.image),
            port: s.deploy.port,
          },
        ]),
      ),
    });
}
