import * as pulumi from "@pulumi/pulumi";
import { joinPem } from "./certFacts";
import { MeshConfig } from "./config";
import { IntermediateCa } from "./intermediateCa";
import { CertificateIssuer } from "./issuer";
import { RootCa } from "./rootCa";
import { ServiceRotation, caLayout, caSuffix, meshRotation } from "./rotationPlan";
import { ServiceIdentity } from "./serviceIdentity";

export interface MeshArgs {
  /** The validated stack config, from `parseMeshConfig` or `loadMeshConfig`. */
  config: MeshConfig;
  /** The clock rotation generations are computed at: the real one, or MESH_PKI_AS_OF. @default now */
  now?: Date;
  /**
   * Waited for by the services' issuer and the trust bundle; a failure stops the CA rotation phase before
   * any certificate is reissued (see caPhaseGate). @default none
   */
  caPhaseGate?: pulumi.Output<unknown>;
}

/** One generation of the CA: its root, and its intermediate when the config asks for one. */
export interface CaGeneration {
  generation: number;
  rootCa: RootCa;
  intermediateCa: IntermediateCa | undefined;
}

/**
 * The whole PKI of a mesh: the root CA, the intermediate issuer when the config asks for one, and one
 * identity per service. Children are named `<name>-ca`, `<name>-issuer` and `<name>-<service>`; CA
 * generation g > 0 (after a CA rotation) is `<name>-ca-g<g>` and `<name>-issuer-g<g>`.
 */
export class Mesh extends pulumi.ComponentResource {
  readonly rootCa: RootCa;
  /** Undefined when the root signs the services itself. */
  readonly intermediateCa: IntermediateCa | undefined;
  /** The CA that signs the services. */
  readonly issuer: CertificateIssuer;
  /** Every CA generation declared in this CA rotation phase, oldest first; all are trusted. */
  readonly caGenerations: readonly CaGeneration[];
  /** Each service's rotation generation and next scheduled rotation, by service name. */
  readonly rotation: Readonly<Record<string, ServiceRotation>>;
  /** The certificates a peer trusts: the root, or both roots during a CA rotation. */
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
    const layout = caLayout(config.rotation.ca);
    const rotation = meshRotation(config, args.now ?? new Date());

    super("mesh-pki:pki:Mesh", name, {}, opts);

    const caGenerations = layout.trusted.map((generation): CaGeneration => {
      const suffix = caSuffix(generation);
      const rootCa = new RootCa(
        `${name}-ca${suffix}`,
        {
          ...subjectArgs,
          ...config.ca,
          commonName: `${config.ca.commonName}${suffix}`,
        },
        { parent: this },
      );
      const intermediateCa =
        config.issuer.mode === "intermediate"
          ? new IntermediateCa(
              `${name}-issuer${suffix}`,
              {
                ...subjectArgs,
                commonName: `${config.issuer.commonName}${suffix}`,
                keyAlgorithm: config.issuer.keyAlgorithm,
                validityDays: config.issuer.validityDays,
                renewBeforeDays: config.issuer.renewBeforeDays,
                parentCa: rootCa,
              },
              { parent: this },
            )
          : undefined;
      return { generation, rootCa, intermediateCa };
    });
    const signing = caGenerations.find((c) => c.generation === layout.signer)!;
    const rootCa = signing.rootCa;
    const intermediateCa = signing.intermediateCa;
    const issuer: CertificateIssuer = intermediateCa ?? rootCa;
    const gate = args.caPhaseGate;
    const gated = (o: pulumi.Output<string>) =>
      gate === undefined ? o : pulumi.all([gate, o]).apply(([, value]) => value);
    const signer: CertificateIssuer =
      gate === undefined
        ? issuer
        : {
            commonName: issuer.commonName,
            certPem: gated(issuer.certPem),
            privateKeyPem: gated(issuer.privateKeyPem),
            chainPem: gated(issuer.chainPem),
          };

    const services: Record<string, ServiceIdentity> = {};
    for (const service of Object.values(config.services)) {
      services[service.name] = new ServiceIdentity(
        `${name}-${service.name}`,
        {
          ...subjectArgs,
          serviceName: service.name,
          trustDomain: config.trustDomain,
          issuer: signer,
          keyAlgorithm: service.keyAlgorithm,
          validityHours: service.validityHours,
          renewBeforeHours: service.renewBeforeHours,
          dnsNames: service.dnsNames,
          ipAddresses: service.ipAddresses,
          replacementTrigger: rotation[service.name].trigger,
          rotateKey: rotation[service.name].rotateKey,
        },
        { parent: this },
      );
    }

    this.rootCa = rootCa;
    this.intermediateCa = intermediateCa;
    this.issuer = issuer;
    this.caGenerations = caGenerations;
    this.rotation = rotation;
    this.trustBundlePem = gated(
      caGenerations.length === 1
        ? rootCa.certPem
        : pulumi.all(caGenerations.map((c) => c.rootCa.certPem)).apply((p) => joinPem(...p)),
    );
    this.issuerCertPem = issuer.certPem;
    this.services = services;
    this.registerOutputs({
      trustBundlePem: this.trustBundlePem,
      issuerCertPem: this.issuerCertPem,
      services: Object.keys(services),
    });
  }
}
