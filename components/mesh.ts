import * as pulumi from "@pulumi/pulumi";
import { MeshConfig } from "./config";
import { IntermediateCa } from "./intermediateCa";
import { CertificateIssuer } from "./issuer";
import { RootCa } from "./rootCa";
import { ServiceIdentity } from "./serviceIdentity";

export interface MeshArgs {
  /** The validated stack config, from `parseMeshConfig` or `loadMeshConfig`. */
  config: MeshConfig;
}

/**
 * The whole PKI of a mesh: the root CA, the intermediate issuer when the config asks for one, and one
 * identity per service. Children are named `<name>-ca`, `<name>-issuer` and `<name>-<service>`.
 */
export class Mesh extends pulumi.ComponentResource {
  readonly rootCa: RootCa;
  /** Undefined when the root signs the services itself. */
  readonly intermediateCa: IntermediateCa | undefined;
  /** The CA that signs the services. */
  readonly issuer: CertificateIssuer;
  /** The certificates a peer trusts: the root. */
  readonly trustBundlePem: pulumi.Output<string>;
  /** The certificate of the CA that signs the services. */
  readonly issuerCertPem: pulumi.Output<string>;
  /** One identity per service, by service name, in config order. */
  readonly services: Readonly<Record<string, ServiceIdentity>>;

  constructor(name: string, args: MeshArgs, opts?: pulumi.ComponentResourceOptions) {
    // Arguments are checked before the component registers, so a bad one leaves nothing behind.
    const { config } = args;
    if (Object.keys(config.services).length === 0) {
      throw new Error(`Mesh ${name}: config.services is empty; list at least one service`);
    }
    const subjectArgs = { organization: config.organization, country: config.country };
    const withIntermediate = config.issuer.mode === "intermediate";

    super("mesh-pki:pki:Mesh", name, {}, opts);

    const rootCa = new RootCa(
      `${name}-ca`,
      { ...subjectArgs, ...config.ca, withIntermediate },
      { parent: this },
    );

    const intermediateCa =
      config.issuer.mode === "intermediate"
        ? new IntermediateCa(
            `${name}-issuer`,
            {
              ...subjectArgs,
              commonName: config.issuer.commonName,
              keyAlgorithm: config.issuer.keyAlgorithm,
              validityDays: config.issuer.validityDays,
              renewBeforeDays: config.issuer.renewBeforeDays,
              parentCa: rootCa,
            },
            { parent: this },
          )
        : undefined;
    const issuer: CertificateIssuer = intermediateCa ?? rootCa;

    const services: Record<string, ServiceIdentity> = {};
    for (const service of Object.values(config.services)) {
      services[service.name] = new ServiceIdentity(
        `${name}-${service.name}`,
        {
          ...subjectArgs,
          serviceName: service.name,
          trustDomain: config.trustDomain,
          issuer,
          keyAlgorithm: service.keyAlgorithm,
          validityDays: service.validityDays,
          renewBeforeDays: service.renewBeforeDays,
          dnsNames: service.dnsNames,
          ipAddresses: service.ipAddresses,
        },
        { parent: this },
      );
    }

    this.rootCa = rootCa;
    this.intermediateCa = intermediateCa;
    this.issuer = issuer;
    this.trustBundlePem = rootCa.certPem;
    this.issuerCertPem = issuer.certPem;
    this.services = services;
    this.registerOutputs({
      trustBundlePem: this.trustBundlePem,
      issuerCertPem: this.issuerCertPem,
      services: Object.keys(services),
    });
  }
}
