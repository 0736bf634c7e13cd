// tls:index/locallySignedCert:LocallySignedCert (terraform-provider-tls, resource_locally_signed_cert.go).

import * as crypto from "node:crypto";
import * as x509 from "@peculiar/x509";
import {
  CertificateError,
  issueCertificate,
  readyForRenewalAtPlan,
  supportedUses,
} from "./certificate";
import { describeKey, parsePrivateKeyPem, publicKeyDer } from "./keys";
import { altNamesFromExtension, encodeName, nameFromDer, normaliseAltNames } from "./names";
import { decodePem } from "./pem";
import { input, ResourceModule } from "./resource";
import { renewalModule } from "./renewal";
import { withDefaults, writeOnlyRefusals } from "./schema";
import { Unknown } from "./values";

const schema = {
  token: "tls:index/locallySignedCert:LocallySignedCert",
  inputs: {
    certRequestPem: { kind: "string", required: true, replaceOnChange: true },
    caPrivateKeyPem: { kind: "string", sensitive: true, replaceOnChange: true },
    caCertPem: { kind: "string", required: true, replaceOnChange: true },
    validityPeriodHours: { kind: "integer", required: true, atLeast: 0, replaceOnChange: true },
    allowedUses: {
      kind: "stringList",
      required: true,
      oneOf: supportedUses,
      replaceOnChange: true,
    },
    earlyRenewalHours: { kind: "integer", default: 0, atLeast: 0, replaceOnChange: false },
    isCaCertificate: { kind: "boolean", default: false, replaceOnChange: true },
    maxPathLength: { kind: "integer", atLeast: -1, replaceOnChange: true },
    setSubjectKeyId: { kind: "boolean", default: false, replaceOnChange: true },
  },
  refused: writeOnlyRefusals("caPrivateKeyPemWo", "caPrivateKeyPemWoVersion"),
} as const;

function decodeExpected(pem: string, type: string): Buffer {
  const block = decodePem(pem);
  if (!block)
    throw new CertificateError(`failed to decode PEM of expected type "${type}" from bytes`);
  if (block.type !== type) {
    throw new CertificateError(`invalid PEM type - expected "${type}", got "${block.type}"`);
  }
  return block.bytes;
}

function requestAltNames(csr: x509.Pkcs10CertificateRequest) {
  const ext = csr.getExtension("2.5.29.17");
  return ext ? new x509.SubjectAlternativeNameExtension(ext.rawData) : null;
}

function parseWith<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new CertificateError(`Failed to parse ${what}: ${(e as Error).message}`);
  }
}

export const locallySignedCert: ResourceModule = renewalModule({
  schema,
  secretOutputs: ["caPrivateKeyPem"],

  check(news) {
    const value = news.caPrivateKeyPem;
    if (value === Unknown) return [];
    return value === undefined || value === null || value === ""
      ? [{ property: "caPrivateKeyPem", reason: "caPrivateKeyPem is required" }]
      : [];
  },

  async create(inputs) {
    const request = parseWith("certificate request PEM", () => {
      const csr = new x509.Pkcs10CertificateRequest(
        decodeExpected(input<string>(inputs, "certRequestPem"), "CERTIFICATE REQUEST"),
      );
      const publicKey = crypto.createPublicKey({
        key: Buffer.from(csr.publicKey.rawData),
        format: "der",
        type: "spki",
      });
      describeKey(publicKey);
      return { csr, publicKey };
    });
    const caKey = parseWith("CA private key PEM", () =>
      parsePrivateKeyPem(input<string>(inputs, "caPrivateKeyPem")),
    );
    const caCert = parseWith(
      "CA certificate PEM",
      () =>
        new x509.X509Certificate(decodeExpected(input<string>(inputs, "caCertPem"), "CERTIFICATE")),
    );

    if (!caCert.getExtension(x509.BasicConstraintsExtension)?.ca) {
      process.stderr.write(
        "tls stand-in: warning: the certificate provided as authority does not appear to be a valid " +
          "Certificate Authority; the resulting certificate might fail certificate validation\n",
      );
    }
    const caPublic = crypto.createPublicKey({
      key: Buffer.from(caCert.publicKey.rawData),
      format: "der",
      type: "spki",
    });
    if (!publicKeyDer(caPublic).equals(publicKeyDer(caKey.key))) {
      throw new CertificateError(
        "Failed to create certificate: x509: provided PrivateKey doesn't match parent's PublicKey",
      );
    }

    const subject = nameFromDer(request.csr.subjectName.toArrayBuffer());
    const validityPeriodHours = input<number>(inputs, "validityPeriodHours");
    const earlyRenewalHours = input<number>(inputs, "earlyRenewalHours", 0);
    const cert = await issueCertificate(
      {
        subjectDer: encodeName(subject),
        subjectAnySet: subject.anySet,
        altNames: normaliseAltNames(altNamesFromExtension(requestAltNames(request.csr))),
        publicKey: request.publicKey,
      },
      {
        validityPeriodHours,
        allowedUses: input<string[]>(inputs, "allowedUses"),
        isCaCertificate: input<boolean>(inputs, "isCaCertificate", false),
        maxPathLength: input<number | undefined>(inputs, "maxPathLength"),
        setSubjectKeyId: input<boolean>(inputs, "setSubjectKeyId", false),
      },
      { key: caKey, certificate: caCert },
    );
    return {
      id: cert.id,
      outs: {
        ...withDefaults(schema, inputs),
        ...cert,
        caKeyAlgorithm: caKey.algorithm,
        readyForRenewal: readyForRenewalAtPlan(validityPeriodHours, earlyRenewalHours),
      },
    };
  },
});
