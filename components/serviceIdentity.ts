import { isIP } from "node:net";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import {
  KeyAlgorithm,
  LEAF_MAX_VALIDITY_DAYS,
  isDnsLabel,
  isDnsName,
  isWildcard,
  leafUsages,
} from "../rules/tls";
import { CertificateFacts, certificateFacts, joinPem } from "./certFacts";
import {
  CertificateIssuer,
  SubjectArgs,
  checkedKeyInputs,
  checkedWindows,
  subject,
} from "./issuer";
import { hourWindows } from "./rotation";
import { serviceSans } from "./sans";

export interface ServiceIdentityArgs extends SubjectArgs {
  /** The service name: a DNS label, the subject CN and the first SAN. */
  serviceName: string;
  /** SPIFFE trust domain and DNS suffix, e.g. `ashchan.local`. */
  trustDomain: string;
  /** The CA that signs this identity: the root or an intermediate. */
  issuer: CertificateIssuer;
  /** Key algorithm of the service key. @default "ecdsa-p256" */
  keyAlgorithm?: KeyAlgorithm;
  /** Validity in days, at most 398. @default 365 */
  validityDays?: number;
  /** Renewal window before expiry, shorter than the validity; sets `earlyRenewalHours`. @default 30 */
  renewBeforeDays?: number;
  /** Validity in whole hours; overrides `validityDays` (short-lived certificates). @default none */
  validityHours?: number;
  /** Renewal window in whole hours; overrides `renewBeforeDays`. @default none */
  renewBeforeHours?: number;
  /** DNS names besides the service name, `localhost` and `<name>.<trust domain>`. @default [] */
  dnsNames?: string[];
  /** IP address SANs. @default [] */
  ipAddresses?: string[];
  /**
   * When this value changes, the key is replaced, and with it the request and the certificate (they
   * take the key as input), so a rotation never keeps an old key. Unset: the key lives until its inputs
   * change.
   * @default undefined
   */
  replacementTrigger?: pulumi.Input<string>;
  /**
   * Whether the trigger replaces the key (and with it the request and certificate) or only the
   * certificate, keeping the key.
   * @default true
   */
  rotateKey?: boolean;
}

/**
 * One service's mTLS identity: a private key, a certificate request (CN = service name, SANs per the
 * design, SPIFFE URI included) and a certificate signed by the issuer with the usages for its key type.
 */
export class ServiceIdentity extends pulumi.ComponentResource {
  readonly serviceName: string;
  readonly spiffeId: string;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly dnsNames: string[];
  readonly ipAddresses: string[];
  readonly allowedUses: string[];
  readonly certPem: pulumi.Output<string>;
  /** The leaf, then the intermediate when there is one; never the root. */
  readonly chainPem: pulumi.Output<string>;
  /** Secret. */
  readonly privateKeyPem: pulumi.Output<string>;
  /** Serial, fingerprint, SPKI pin and validity, read from the issued certificate. */
  readonly facts: pulumi.Output<CertificateFacts>;

  constructor(name: string, args: ServiceIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    // Arguments are checked before the component registers, so a bad one leaves nothing behind.
    const where = `ServiceIdentity ${name}`;
    checkNames(where, args);
    const keyAlgorithm = args.keyAlgorithm ?? "ecdsa-p256";
    const keyInputs = checkedKeyInputs(where, keyAlgorithm);
    const windows =
      args.validityHours !== undefined || args.renewBeforeHours !== undefined
        ? hourWindows(
            where,
            args.validityHours ?? (args.validityDays ?? 365) * 24,
            args.renewBeforeHours ?? (args.renewBeforeDays ?? 30) * 24,
          )
        : checkedWindows(
            where,
            args.validityDays ?? 365,
            args.renewBeforeDays ?? 30,
            LEAF_MAX_VALIDITY_DAYS,
          );
    const trigger =
      args.replacementTrigger !== undefined ? { replacementTrigger: args.replacementTrigger } : {};
    const rotateKey = args.rotateKey ?? true;
    const sans = serviceSans({
      serviceName: args.serviceName,
      trustDomain: args.trustDomain,
      extraDnsNames: args.dnsNames,
      ipAddresses: args.ipAddresses,
    });
    const allowedUses = leafUsages(keyAlgorithm);

    super("mesh-pki:pki:ServiceIdentity", name, {}, opts);

    const key = new tls.PrivateKey(`${name}-key`, keyInputs, {
      parent: this,
      ...(rotateKey ? trigger : {}),
    });

    const csr = new tls.CertRequest(
      `${name}-csr`,
      {
        privateKeyPem: key.privateKeyPem,
        subject: subject(args.serviceName, args),
        dnsNames: sans.dnsNames,
        ipAddresses: sans.ipAddresses,
        uris: sans.uris,
      },
      { parent: this },
    );

    const cert = new tls.LocallySignedCert(
      `${name}-cert`,
      {
        certRequestPem: csr.certRequestPem,
        caCertPem: args.issuer.certPem,
        caPrivateKeyPem: args.issuer.privateKeyPem,
        isCaCertificate: false,
        allowedUses,
        setSubjectKeyId: true,
        validityPeriodHours: windows.validityPeriodHours,
        earlyRenewalHours: windows.earlyRenewalHours,
      },
      { parent: this, ...(rotateKey ? {} : trigger) },
    );

    this.serviceName = args.serviceName;
    this.spiffeId = sans.uris[0];
    this.keyAlgorithm = keyAlgorithm;
    this.dnsNames = sans.dnsNames;
    this.ipAddresses = sans.ipAddresses;
    this.allowedUses = allowedUses;
    this.certPem = cert.certPem;
    this.chainPem = pulumi
      .all([cert.certPem, args.issuer.chainPem])
      .apply(([leaf, issuerChain]) => joinPem(leaf, issuerChain));
    this.privateKeyPem = pulumi.secret(key.privateKeyPem);
    this.facts = cert.certPem.apply(certificateFacts);
    this.registerOutputs({
      serviceName: this.serviceName,
      spiffeId: this.spiffeId,
      keyAlgorithm: this.keyAlgorithm,
      dnsNames: this.dnsNames,
      ipAddresses: this.ipAddresses,
      allowedUses: this.allowedUses,
      // Not the PEMs: they are in the key's and certificate's state already, and the engine rewrites the
      // whole state after every step, so each copy here costs every step of an `up` (bench/README.md).
      facts: this.facts,
    });
  }
}

function checkNames(where: string, args: ServiceIdentityArgs): void {
  if (!isDnsLabel(args.serviceName)) {
    throw new Error(
      `${where}: serviceName "${args.serviceName}" is not a DNS label (lower-case letters, digits, inner hyphens); rename the service`,
    );
  }
  if (args.serviceName === args.issuer.commonName) {
    throw new Error(
      `${where}: serviceName "${args.serviceName}" equals the issuer's common name, so subject and issuer would match; rename one`,
    );
  }
  if (!isDnsName(args.trustDomain)) {
    throw new Error(
      `${where}: trustDomain "${args.trustDomain}" is not a DNS name; set e.g. ashchan.local`,
    );
  }
  for (const dns of args.dnsNames ?? []) {
    if (isWildcard(dns) || !isDnsName(dns)) {
      throw new Error(
        `${where}: dnsNames entry "${dns}" is not an exact DNS name (wildcards are refused); fix or remove it`,
      );
    }
  }
  for (const ip of args.ipAddresses ?? []) {
    if (isIP(ip) === 0) {
      throw new Error(`${where}: ipAddresses entry "${ip}" is not an IP address; fix or remove it`);
    }
  }
}
