/**
 * The stack program: read the config, build the mesh, deliver the certificates to the deploy target,
 * generate the alert rules from the same windows, export the outputs other stacks read.
 */
import * as pulumi from "@pulumi/pulumi";
import { MeshAlertRules } from "./components/alerts-component";
import { loadMeshConfig, MeshConfig } from "./components/config";
import { dockerTarget } from "./components/deploy/docker";
import { FilesDeployment } from "./components/deploy/files";
import { kubernetesTarget } from "./components/deploy/kubernetesTarget";
import { Mesh } from "./components/mesh";
import { MeshStackOutputs, meshStackOutputs } from "./components/outputs";
import {
  caPhaseGate,
  loadRotationClock,
  reportRotationClock,
  rotationOutput,
} from "./components/rotationOutputs";

type Deploy = (mesh: Mesh, alerts: MeshAlertRules) => pulumi.ComponentResource | undefined;

/** Chosen before anything is declared, so a target that cannot be used stops the program cleanly. */
function deployTarget(config: MeshConfig): Deploy {
  switch (config.deploy.target) {
    case "files":
      return (mesh, alerts) => deployFiles(config, mesh, alerts);
    case "kubernetes":
      return kubernetesTarget(config);
    case "docker":
      return dockerTarget(config);
    case "none":
      return () => undefined;
    default:
      throw new Error(
        `mesh-pki:deploy.target ${config.deploy.target} is not available in this version; use files, docker, kubernetes or none`,
      );
  }
}

function deployFiles(config: MeshConfig, mesh: Mesh, alerts: MeshAlertRules): FilesDeployment {
  return new FilesDeployment("mesh-files", {
    directory: config.deploy.directory,
    trustBundlePem: mesh.trustBundlePem,
    alertRulesYaml: alerts.rulesYaml,
    services: Object.fromEntries(
      Object.entries(mesh.services).map(([name, identity]) => [
        name,
        { chainPem: identity.chainPem, keyPem: identity.privateKeyPem },
      ]),
    ),
  });
}

function alertRules(config: MeshConfig, mesh: Mesh): MeshAlertRules {
  return new MeshAlertRules("mesh-alerts", {
    services: Object.values(config.services).map((s) => ({
      name: s.name,
      validityDays: s.validityDays,
      renewBeforeDays: s.renewBeforeDays,
      notAfter: mesh.services[s.name].facts.apply((f) => f.notAfter),
    })),
    config: config.alerts,
  });
}

// The SDK records each resource's source position by formatting a stack trace of unlimited depth, and the
// source-map hook it installs rewrites every frame of it: 5.4 s of the program's 19 s of CPU for 200
// services (bench/README.md). V8's own formatting is enough here: a program error still shows its frames,
// as positions in dist/ rather than in the TypeScript sources.
Reflect.deleteProperty(Error, "prepareStackTrace");

const config = loadMeshConfig();
const clock = loadRotationClock();
const deploy = deployTarget(config);
const mesh = new Mesh("mesh", { config, now: clock.now, caPhaseGate: caPhaseGate(config) });
reportRotationClock(config, clock, mesh);
const alerts = alertRules(config, mesh);
const deployed = deploy(mesh, alerts);
const outputs: MeshStackOutputs = meshStackOutputs(mesh);

export const trustBundlePem = outputs.trustBundlePem;
export const issuerCertPem = outputs.issuerCertPem;
export const services = outputs.services;
export const serviceKeyPems = outputs.serviceKeyPems;
export const alertRulesYaml = alerts.rulesYaml;
export const rotation = rotationOutput(mesh, config, clock.now);
export const certificateDirectory =
  deployed instanceof FilesDeployment ? pulumi.output(deployed.directory) : undefined;
