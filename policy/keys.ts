/** Private keys: only algorithms and sizes that common TLS peers accept. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { keyProblem } from "../rules/tls";
import { isUnknown, num, str } from "./lib/known";
import { resourcePolicy } from "./lib/policy";
import { PRIVATE_KEY } from "./lib/types";

export interface KeyAlgorithmConfig {
  allowEd25519: boolean;
}

export const keyAlgorithm = resourcePolicy<KeyAlgorithmConfig>({
  name: "key-algorithm",
  description:
    "Checks whether a private key is ECDSA on an explicit P256 or P384 curve, RSA of at least 3072 bits, or Ed25519 where allowed.",
  enforcementLevel: "mandatory",
  types: [PRIVATE_KEY],
  config: {
    allowEd25519: {
      type: "boolean",
      default: true,
      description: "Whether Ed25519 keys are accepted (some TLS peers do not accept them).",
    },
  },
  validate: (key, config, report, unchecked) => {
    const algorithm = str(key.props.algorithm);
    const ecdsaCurve = str(key.props.ecdsaCurve);
    const rsaBits = num(key.props.rsaBits);
    if (isUnknown(algorithm)) {
      return unchecked(key, "algorithm", "the key algorithm");
    }
    if (algorithm === "ECDSA" && isUnknown(ecdsaCurve)) {
      return unchecked(key, "ecdsaCurve", "the ECDSA curve");
    }
    if (algorithm === "RSA" && isUnknown(rsaBits)) {
      return unchecked(key, "rsaBits", "the RSA key size");
    }

    const problem = keyProblem({
      algorithm,
      ecdsaCurve: ecdsaCurve as string | undefined,
      rsaBits: rsaBits as number | undefined,
      allowEd25519: config.allowEd25519,
    });
    if (problem !== undefined) {
      report(`${key.label}: ${problem}.`);
    }
  },
});

export const keyPolicies: ResourceValidationPolicy[] = [keyAlgorithm];
