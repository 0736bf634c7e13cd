// tls:index/privateKey:PrivateKey (terraform-provider-tls, internal/provider/resource_private_key.go).

import { hashForState } from "./ids";
import {
  Algorithm,
  algorithms,
  EcdsaCurve,
  ecdsaCurves,
  generateKey,
  privateKeyPem,
  privateKeyPemPkcs8,
  publicKeyDer,
  publicKeyPem,
} from "./keys";
import { opensshPrivateKeyPem, opensshPublic } from "./openssh";
import { input, ResourceModule } from "./resource";
import { withDefaults } from "./schema";

const schema = {
  token: "tls:index/privateKey:PrivateKey",
  inputs: {
    algorithm: { kind: "string", required: true, oneOf: algorithms, replaceOnChange: true },
    ecdsaCurve: { kind: "string", default: "P224", oneOf: ecdsaCurves, replaceOnChange: true },
    rsaBits: { kind: "integer", default: 2048, replaceOnChange: true },
  },
  refused: {},
} as const;

export const privateKey: ResourceModule = {
  schema,
  secretOutputs: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"],

  async create(inputs) {
    const parsed = generateKey(
      input<Algorithm>(inputs, "algorithm"),
      input<number>(inputs, "rsaBits", 2048),
      input<EcdsaCurve>(inputs, "ecdsaCurve", "P224"),
    );
    const openssh = opensshPublic(parsed);
    const id = hashForState(publicKeyDer(parsed.key));
    return {
      id,
      outs: {
        ...withDefaults(schema, inputs),
        id,
        privateKeyPem: privateKeyPem(parsed),
        privateKeyPemPkcs8: privateKeyPemPkcs8(parsed),
        privateKeyOpenssh: opensshPrivateKeyPem(parsed),
        publicKeyPem: publicKeyPem(parsed.key),
        publicKeyOpenssh: openssh.authorizedKey,
        publicKeyFingerprintMd5: openssh.fingerprintMd5,
        publicKeyFingerprintSha256: openssh.fingerprintSha256,
      },
    };
  },
};
