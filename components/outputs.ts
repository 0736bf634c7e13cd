import * as pulumi from "@pulumi/pulumi";
import { Mesh } from "./mesh";
import { ServiceOutput } from "./outputContract";
import { ServiceIdentity } from "./serviceIdentity";

/** The stack's exports: public values plain, keys secret, never both in one object. */
export interface MeshStackOutputs {
  trustBundlePem: pulumi.Output<string>;
  issuerCertPem: pulumi.Output<string>;
  services: pulumi.Output<Record<string, ServiceOutput>>;
  /** Secret: the private key PEM of each service, by service name. */
  serviceKeyPems: pulumi.Output<Record<string, string>>;
}

function serviceOutput(identity: ServiceIdentity): pulumi.Output<ServiceOutput> {
  return pulumi
    .all([identity.certPem, identity.chainPem, identity.facts])
    .apply(([certPem, chainPem, facts]) => ({
      certPem,
      chainPem,
      spiffeId: identity.spiffeId,
      dnsNames: identity.dnsNames,
      ipAddresses: identity.ipAddresses,
      ...facts,
    }));
}

function byName<T>(
  services: Readonly<Record<string, ServiceIdentity>>,
  pick: (s: ServiceIdentity) => pulumi.Output<T>,
): pulumi.Output<Record<string, T>> {
  const outputs = Object.fromEntries(Object.entries(services).map(([name, s]) => [name, pick(s)]));
  // T is a plain value here, so Unwrap<T> is T; the SDK's typing cannot see that for a generic T.
  return pulumi.all(outputs).apply((r) => r as Record<string, T>);
}

export function meshStackOutputs(mesh: Mesh): MeshStackOutputs {
  return {
    trustBundlePem: mesh.trustBundlePem,
    issuerCertPem: mesh.issuerCertPem,
    services: byName(mesh.services, serviceOutput),
    serviceKeyPems: pulumi.secret(byName(mesh.services, (s) => s.privateKeyPem)),
  };
}
