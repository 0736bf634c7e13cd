import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { CA_MAX_VALIDITY_DAYS, CA_USAGES, KeyAlgorithm } from "../rules/tls";
import { joinPem } from "./certFacts";
import {
  CertificateIssuer,
  SubjectArgs,
  checkedKeyInputs,
  checkedWindows,
  subject,
} from "./issuer";

export interface IntermediateCaArgs extends SubjectArgs {
  /** Subject CN of the intermediate; must differ from the root's. */
  commonName: string;
  /** The root that signs this intermediate. */
  parentCa: CertificateIssuer;
  /** Key algorithm of the intermediate key. @default "ecdsa-p256" */
  keyAlgorithm?: KeyAlgorithm;
  /** Validity in days, at most 3650. @default 1825 */
  validityDays?: number;
  /** Renewal window before expiry, shorter than the validity. @default 180 */
  renewBeforeDays?: number;
}

/**
 * An intermediate issuer signed by the root, so the root key signs almost nothing: key, request and a
 * CA certificate that asks for path length 0 (it signs leaves only; bounded in practice by the root's
 * pathlen:1), CA usages and a subject key identifier; the provider sets the authority key identifier
 * from the root's.
 */
export class IntermediateCa extends pulumi.ComponentResource implements CertificateIssuer {
  readonly commonName: string;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly certPem: pulumi.Output<string>;
  /** Secret. */
  readonly privateKeyPem: pulumi.Output<string>;
  /** The intermediate's certificate: what a leaf it signs appends after itself. */
  readonly chainPem: pulumi.Output<string>;
  readonly validityEndTime: pulumi.Output<string>;

  constructor(name: string, args: IntermediateCaArgs, opts?: pulumi.ComponentResourceOptions) {
    // Arguments are checked before the component registers, so a bad one leaves nothing behind.
    const where = `IntermediateCa ${name}`;
    if (args.commonName.trim() === "") {
      throw new Error(`${where}: commonName is empty; set a name such as ashchan-ca-issuer`);
    }
    if (args.commonName === args.parentCa.commonName) {
      throw new Error(
        `${where}: commonName "${args.commonName}" equals the root's; give the intermediate its own name`,
      );
    }
    const keyAlgorithm = args.keyAlgorithm ?? "ecdsa-p256";
    const keyInputs = checkedKeyInputs(where, keyAlgorithm);
    const windows = checkedWindows(
      where,
      args.validityDays ?? 1825,
      args.renewBeforeDays ?? 180,
      CA_MAX_VALIDITY_DAYS,
    );

    super("mesh-pki:pki:IntermediateCa", name, {}, opts);

    const key = new tls.PrivateKey(`${name}-key`, keyInputs, { parent: this });

    const csr = new tls.CertRequest(
      `${name}-csr`,
      { privateKeyPem: key.privateKeyPem, subject: subject(args.commonName, args) },
      { parent: this },
    );

    const cert = new tls.LocallySignedCert(
      `${name}-cert`,
      {
        certRequestPem: csr.certRequestPem,
        caCertPem: args.parentCa.certPem,
        caPrivateKeyPem: args.parentCa.privateKeyPem,
        isCaCertificate: true,
        // TODO: the provider writes no pathlen for 0 (see rootCa.ts), so this certificate carries "CA:TRUE"
        // alone; the root's pathlen:1 is what stops a sub-CA below it from verifying
        // (test/e2e/pki-handshakes.test.ts). A verifier that trusts the intermediate as an anchor gets
        // no such bound.
        maxPathLength: 0,
        allowedUses: [...CA_USAGES],
        setSubjectKeyId: true,
        validityPeriodHours: windows.validityPeriodHours,
        earlyRenewalHours: windows.earlyRenewalHours,
      },
      { parent: this },
    );

    this.commonName = args.commonName;
    this.keyAlgorithm = keyAlgorithm;
    this.certPem = cert.certPem;
    this.privateKeyPem = pulumi.secret(key.privateKeyPem);
    this.chainPem = cert.certPem.apply((pem) => joinPem(pem));
    this.validityEndTime = cert.validityEndTime;
    this.registerOutputs({
      commonName: this.commonName,
      keyAlgorithm: this.keyAlgorithm,
      certPem: this.certPem,
      privateKeyPem: this.privateKeyPem,
      chainPem: this.chainPem,
      validityEndTime: this.validityEndTime,
    });
  }
}
