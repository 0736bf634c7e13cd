/**
 * What a signer hands to the certificates below it, and the argument checks the PKI components share.
 */
import * as pulumi from "@pulumi/pulumi";
import { KEY_ALGORITHMS, KeyAlgorithm, keyProblem, tlsKeyInputs, TlsKeyInputs } from "../rules/tls";
import { CertificateWindows, certificateWindows } from "./windows";

/** A CA that can sign certificates: the root, or an intermediate issuer. */
export interface CertificateIssuer {
  /** Subject CN of the issuer; a certificate it signs must have another. */
  readonly commonName: string;
  /** The issuer's certificate. */
  readonly certPem: pulumi.Output<string>;
  /** The issuer's private key (secret). */
  readonly privateKeyPem: pulumi.Output<string>;
  /** What a leaf it signs appends after itself in a chain: empty for a root, the issuer otherwise. */
  readonly chainPem: pulumi.Output<string>;
}

/** Subject fields shared by every certificate of a mesh. */
export interface SubjectArgs {
  /** Subject O. @default none */
  organization?: string;
  /** Subject C, two letters. @default none */
  country?: string;
}

export function subject(commonName: string, args: SubjectArgs) {
  return {
    commonName,
    ...(args.organization !== undefined ? { organization: args.organization } : {}),
    ...(args.country !== undefined ? { country: args.country } : {}),
  };
}

/** The tls.PrivateKey inputs of an algorithm, or an error naming the argument. */
export function checkedKeyInputs(where: string, algorithm: KeyAlgorithm): TlsKeyInputs {
  if (!(KEY_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new Error(
      `${where}: keyAlgorithm "${algorithm}" is unknown; use one of ${KEY_ALGORITHMS.join(", ")}`,
    );
  }
  const inputs = tlsKeyInputs(algorithm);
  const problem = keyProblem(inputs);
  if (problem !== undefined) {
    throw new Error(`${where}: keyAlgorithm "${algorithm}": ${problem}`);
  }
  return inputs;
}

/** The windows of a certificate, or an error naming the argument and the ceiling. */
export function checkedWindows(
  where: string,
  validityDays: number,
  renewBeforeDays: number,
  ceilingDays: number,
): CertificateWindows {
  if (validityDays > ceilingDays) {
    throw new Error(
      `${where}: validityDays ${validityDays} is above the ${ceilingDays}-day ceiling; set ${ceilingDays} or less`,
    );
  }
  try {
    return certificateWindows({ validityDays, renewBeforeDays });
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}; adjust validityDays or renewBeforeDays`);
  }
}
