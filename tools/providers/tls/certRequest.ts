// tls:index/certRequest:CertRequest (terraform-provider-tls, internal/provider/resource_cert_request.go).

import * as x509 from "@peculiar/x509";
import { hashForState } from "./ids";
import { parsePrivateKeyPem, publicKeyDer } from "./keys";
import { altNamesExtension, encodeName, nameFromSubject, normaliseAltNames } from "./names";
import { encodePem } from "./pem";
import { input, ResourceModule } from "./resource";
import { Subject, withDefaults, writeOnlyRefusals } from "./schema";
import { nodeCrypto, signingAlgorithm, signingKeys } from "./signer";
import { Unknown } from "./values";

export const altNameInputs = {
  dnsNames: { kind: "stringList", replaceOnChange: true },
  ipAddresses: { kind: "stringList", replaceOnChange: true },
  uris: { kind: "stringList", replaceOnChange: true },
} as const;

const schema = {
  token: "tls:index/certRequest:CertRequest",
  inputs: {
    privateKeyPem: { kind: "string", sensitive: true, replaceOnChange: true },
    subject: { kind: "subject", replaceOnChange: true },
    ...altNameInputs,
  },
  refused: writeOnlyRefusals("privateKeyPemWo", "privateKeyPemWoVersion"),
} as const;

/** Upstream needs exactly one of privateKeyPem and privateKeyPemWo; the stand-in has only the first. */
export function requirePrivateKeyPem(news: Record<string, unknown>) {
  const value = news.privateKeyPem;
  if (value === undefined || value === null || value === "") {
    return [{ property: "privateKeyPem", reason: "privateKeyPem is required" }];
  }
  return [];
}

export function altNamesOf(inputs: Record<string, unknown>) {
  return normaliseAltNames({
    dnsNames: input<string[]>(inputs, "dnsNames", []),
    ipAddresses: input<string[]>(inputs, "ipAddresses", []),
    uris: input<string[]>(inputs, "uris", []),
  });
}

export const certRequest: ResourceModule = {
  schema,
  secretOutputs: ["privateKeyPem"],

  check(news) {
    return requirePrivateKeyPem(news).filter(() => news.privateKeyPem !== Unknown);
  },

  async create(inputs) {
    const key = parsePrivateKeyPem(input<string>(inputs, "privateKeyPem"));
    const name = nameFromSubject(input<Subject | undefined>(inputs, "subject"));
    const san = altNamesExtension(altNamesOf(inputs), false);

    const csr = await x509.Pkcs10CertificateRequestGenerator.create(
      {
        name: new x509.Name(encodeName(name)),
        extensions: san ? [san] : [],
        signingAlgorithm: signingAlgorithm(key),
        keys: signingKeys(key),
      },
      nodeCrypto,
    );
    const der = new Uint8Array(csr.rawData);
    // The request must carry the key given; a mismatch would mean the signer adapter is wrong.
    if (!Buffer.from(csr.publicKey.rawData).equals(publicKeyDer(key.key))) {
      throw new Error(
        "tls stand-in: certificate request public key does not match the private key",
      );
    }
    const id = hashForState(der);
    return {
      id,
      outs: {
        ...withDefaults(schema, inputs),
        id,
        keyAlgorithm: key.algorithm,
        certRequestPem: encodePem("CERTIFICATE REQUEST", der),
      },
    };
  },
};
