import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { CA_MAX_VALIDITY_DAYS, CA_USAGES, KeyAlgorithm } from "../rules/tls";
import {
  CertificateIssuer,
  SubjectArgs,
  checkedKeyInputs,
  checkedWindows,
  subject,
} from "./issuer";

export interface RootCaArgs extends SubjectArgs {
  /** Subject CN of the root, e.g. `ashchan-ca`. */
  commonName: string;
  /** Key algorithm of the root key. @default "ecdsa-p256" */
  keyAlgorithm?: KeyAlgorithm;
  /** Validity of the root certificate, at most 3650 days. @default 3650 */
  validityDays?: number;
  /** Renewal window before expiry, shorter than the validity. @default 365 */
  renewBeforeDays?: number;
}

/**
 * A self-signed root CA: a private key and a CA certificate with basic constraints and path length,
 * `cert_signing` + `crl_signing` (+ `digital_signature`) and a subject key identifier.
 */
export class RootCa extends pulumi.ComponentResource implements CertificateIssuer {
  readonly commonName: string;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly maxPathLength: number;
  readonly certPem: pulumi.Output<string>;
  /** Secret. */
  readonly privateKeyPem: pulumi.Output<string>;
  /** Empty: a leaf signed by the root appends nothing, the root travels in the trust bundle. */
  readonly chainPem: pulumi.Output<string>;
  readonly validityEndTime: pulumi.Output<string>;

  constructor(name: string, args: RootCaArgs, opts?: pulumi.ComponentResourceOptions) {
    // Arguments are checked before the component registers, so a bad one leaves nothing behind.
    const where = `RootCa ${name}`;
    if (args.commonName.trim() === "") {
      throw new Error(`${where}: commonName is empty; set the root's name, e.g. ashchan-ca`);
    }
    const keyAlgorithm = args.keyAlgorithm ?? "ecdsa-p256";
    const keyInputs = checkedKeyInputs(where, keyAlgorithm);
    const windows = checkedWindows(
      where,
      args.validityDays ?? 3650,
      args.renewBeforeDays ?? 365,
      CA_MAX_VALIDITY_DAYS,
    );
    // Path length 1 in both issuer modes. A path length of 0 cannot be written: the tls provider (upstream
    // and the stand-in alike) writes one only when it is positive, so 0 would leave the root unlimited.
    // With 1 the root may sign one CA level (the intermediate) and nothing below it, and switching the
    // issuer mode changes no input of the root, so the trust bundle survives it.
    const maxPathLength = 1;

    super("mesh-pki:pki:RootCa", name, {}, opts);

    const key = new tls.PrivateKey(`${name}-key`, keyInputs, { parent: this });

    // A self-signed root may omit the authority key identifier (RFC 5280 4.2.1.1); it is set here,
    // equal to the subject key identifier, because OpenSSL's own roots carry it and path builders use it.
    const cert = new tls.SelfSignedCert(
      `${name}-cert`,
      {
        privateKeyPem: key.privateKeyPem,
        subject: subject(args.commonName, args),
        isCaCertificate: true,
        maxPathLength,
        allowedUses: [...CA_USAGES],
        setSubjectKeyId: true,
        setAuthorityKeyId: true,
        validityPeriodHours: windows.validityPeriodHours,
        earlyRenewalHours: windows.earlyRenewalHours,
      },
      { parent: this },
    );

    this.commonName = args.commonName;
    this.keyAlgorithm = keyAlgorithm;
    this.maxPathLength = maxPathLength;
    this.certPem = cert.certPem;
    this.privateKeyPem = pulumi.secret(key.privateKeyPem);
    this.chainPem = pulumi.output("");
    this.validityEndTime = cert.validityEndTime;
    this.registerOutputs({
      commonName: this.commonName,
      keyAlgorithm: this.keyAlgorithm,
      maxPathLength: this.maxPathLength,
      certPem: this.certPem,
      privateKeyPem: this.privateKeyPem,
      chainPem: this.chainPem,
      validityEndTime: this.validityEndTime,
    });
  }
}
