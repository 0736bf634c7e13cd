/**
 * A consumer stack: reads the trust bundle (plain), one service's public facts (plain) and its key
 * (secret) from a mesh-pki stack, as a service's own deployment stack would.
 */
import * as pulumi from "@pulumi/pulumi";
import { MeshPkiReference } from "../../components/consumer";

const config = new pulumi.Config();
const producer = config.get("meshStack") ?? "organization/mesh-pki/local";
const serviceName = config.get("service") ?? "gateway";

const mesh = new MeshPkiReference("mesh-pki", { stack: producer });
const service = mesh.service(serviceName);

export const trustBundlePem = mesh.trustBundlePem;
export const serviceNames = mesh.services.apply((s) => Object.keys(s));
export const spiffeId = service.spiffeId;
export const certNotAfter = service.notAfter;
export const spkiPinSha256 = service.spkiPinSha256;
export const serviceKeyPem = mesh.serviceKeyPem(serviceName);
