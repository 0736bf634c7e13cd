// tls:index/selfSignedCert:SelfSignedCert (terraform-provider-tls, resource_self_signed_cert.go).

import * as crypto from "node:crypto";
import { altNamesOf, altNameInputs, requirePrivateKeyPem } from "./certRequest";
import { issueCertificate, readyForRenewalAtPlan, supportedUses } from "./certificate";
import { parsePrivateKeyPem } from "./keys";
import { encodeName, nameFromSubject } from "./names";
import { input, ResourceModule } from "./resource";
import { Subject, withDefaults, writeOnlyRefusals } from "./schema";
import { renewalModule } from "./renewal";
import { Unknown } from "./values";

const schema = {
  token: "tls:index/selfSignedCert:SelfSignedCert",
  inputs: {
    privateKeyPem: { kind: "string", sensitive: true, replaceOnChange: true },
    validityPeriodHours: { kind: "integer", required: true, atLeast: 0, replaceOnChange: true },
    allowedUses: {
      kind: "stringList",
      required: true,
      oneOf: supportedUses,
      replaceOnChange: true,
    },
    subject: { kind: "subject", replaceOnChange: true },
    ...altNameInputs,
    earlyRenewalHours: { kind: "integer", default: 0, atLeast: 0, replaceOnChange: false },
    isCaCertificate: { kind: "boolean", default: false, replaceOnChange: true },
    maxPathLength: { kind: "integer", atLeast: -1, replaceOnChange: true },
    setSubjectKeyId: { kind: "boolean", default: false, replaceOnChange: true },
    setAuthorityKeyId: { kind: "boolean", default: false, replaceOnChange: true },
  },
  refused: writeOnlyRefusals("privateKeyPemWo", "privateKeyPemWoVersion"),
} as const;

export const selfSignedCert: ResourceModule = renewalModule({
  schema,
  secretOutputs: ["privateKeyPem"],

  check(news) {
    return requirePrivateKeyPem(news).filter(() => news.privateKeyPem !== Unknown);
  },

  async create(inputs) {
    const key = parsePrivateKeyPem(input<string>(inputs, "privateKeyPem"));
    const name = nameFromSubject(input<Subject | undefined>(inputs, "subject"));
    const validityPeriodHours = input<number>(inputs, "validityPeriodHours");
    const earlyRenewalHours = input<number>(inputs, "earlyRenewalHours", 0);

    const cert = await issueCertificate(
      {
        subjectDer: encodeName(name),
        subjectAnySet: name.anySet,
        altNames: altNamesOf(inputs),
        publicKey: crypto.createPublicKey(key.key),
      },
      {
        validityPeriodHours,
        allowedUses: input<string[]>(inputs, "allowedUses"),
        isCaCertificate: input<boolean>(inputs, "isCaCertificate", false),
        maxPathLength: input<number | undefined>(inputs, "maxPathLength"),
        setSubjectKeyId: input<boolean>(inputs, "setSubjectKeyId", false),
        setAuthorityKeyId: input<boolean>(inputs, "setAuthorityKeyId", false),
      },
      { key },
    );
    return {
      id: cert.id,
      outs: {
        ...withDefaults(schema, inputs),
        ...cert,
        keyAlgorithm: key.algorithm,
        readyForRenewal: readyForRenewalAtPlan(validityPeriodHours, earlyRenewalHours),
      },
    };
  },
});
