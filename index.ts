/**
 * The stack program: read the config, build the mesh, export its outputs. Deployment and alert rules
 * join here as further steps.
 */
import { loadMeshConfig } from "./components/config";
import { Mesh } from "./components/mesh";
import { MeshStackOutputs, meshStackOutputs } from "./components/outputs";

function buildMesh(): Mesh {
  const config = loadMeshConfig();
  return new Mesh("mesh", { config });
}

function exportOutputs(mesh: Mesh): MeshStackOutputs {
  return meshStackOutputs(mesh);
}

const outputs = exportOutputs(buildMesh());

export const trustBundlePem = outputs.trustBundlePem;
export const issuerCertPem = outputs.issuerCertPem;
export const services = outputs.services;
export const serviceKeyPems = outputs.serviceKeyPems;
