// Unit tests of the tls stand-in's pure helpers: the rules it copies from upstream that the conformance
// suite cannot reach cheaply through the engine.

import * as crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { goTrimSpace, hashForState } from "../../tools/providers/tls/ids";
import {
  describeKey,
  generateKey,
  parsePrivateKeyPem,
  privateKeyPem,
} from "../../tools/providers/tls/keys";
import { opensshPublic, opensshPrivateKeyPem, sshMpint } from "../../tools/providers/tls/openssh";
import { checkInputs, diffInputs, ResourceSchema } from "../../tools/providers/tls/schema";
import {
  secret,
  unknownValue,
  unwrapProperties,
  Unknown,
  withSecrets,
} from "../../tools/providers/tls/values";

type Certificate = typeof import("../../tools/providers/tls/certificate");
type Names = typeof import("../../tools/providers/tls/names");
let certificate: Certificate;
let names: Names;

beforeAll(async () => {
  // @peculiar/x509 needs the metadata API before it loads, as the provider's entry point does.
  await import("reflect-metadata");
  certificate = await import("../../tools/providers/tls/certificate");
  names = await import("../../tools/providers/tls/names");
});

describe("goTrimSpace", () => {
  it.each([
    ["ascii spaces at both ends", [0x20, 0x0a, 0x30, 0x01, 0x09, 0x0d], [0x30, 0x01]],
    ["a trailing NBSP in UTF-8", [0x30, 0x05, 0xc2, 0xa0], [0x30, 0x05]],
    ["a trailing U+3000", [0x30, 0xe3, 0x80, 0x80, 0x20], [0x30]],
    ["a lone continuation byte is not a space", [0x30, 0xa0], [0x30, 0xa0]],
    ["a lone 0x85 is not a space", [0x30, 0x85], [0x30, 0x85]],
  ])("%s", (_what, input, expected) => {
    expect([...goTrimSpace(Buffer.from(input))]).toEqual(expected);
  });

  it("leaves bytes without spaces at the ends alone", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        const framed = Buffer.concat([Buffer.from([0x30]), bytes, Buffer.from([0x01])]);
        expect(goTrimSpace(framed).equals(framed)).toBe(true);
      }),
    );
  });

  it("hashForState is the hex SHA-1 of the trimmed bytes, empty for nothing", () => {
    expect(hashForState(Buffer.from(" ab\n"))).toBe(
      crypto.createHash("sha1").update("ab").digest("hex"),
    );
    expect(hashForState(new Uint8Array())).toBe("");
  });
});

describe("wire values", () => {
  it("unwraps secrets and unknowns and re-marks secrets", () => {
    const { values, secretKeys } = unwrapProperties({
      a: secret("x"),
      b: unknownValue,
      c: [unknownValue, "y"],
      d: 1,
    });

    expect(values).toEqual({ a: "x", b: Unknown, c: [Unknown, "y"], d: 1 });
    expect([...secretKeys]).toEqual(["a"]);
    expect(withSecrets({ a: "x", d: 1, e: undefined }, ["a"])).toEqual({ a: secret("x"), d: 1 });
  });
});

const schema: ResourceSchema = {
  token: "tls:index/test:Test",
  inputs: {
    algorithm: { kind: "string", required: true, oneOf: ["RSA", "ECDSA"], replaceOnChange: true },
    ecdsaCurve: { kind: "string", default: "P224", replaceOnChange: true },
    earlyRenewalHours: { kind: "integer", default: 0, atLeast: 0, replaceOnChange: false },
    dnsNames: { kind: "stringList", replaceOnChange: true },
    subject: { kind: "subject", replaceOnChange: true },
  },
  refused: { privateKeyPemWo: "not implemented" },
};

describe("checkInputs", () => {
  it("accepts good inputs and values not yet known", () => {
    expect(
      checkInputs(schema, { algorithm: "RSA", dnsNames: ["a"], subject: { commonName: "x" } }),
    ).toEqual([]);
    expect(checkInputs(schema, { algorithm: Unknown, dnsNames: [Unknown] })).toEqual([]);
  });

  it.each([
    [{ algorithm: "DSA" }, "algorithm", /must be one of: RSA, ECDSA/],
    [{}, "algorithm", /algorithm is required/],
    [{ algorithm: "RSA", bogus: 1 }, "bogus", /'bogus' is not an input of tls:index\/test:Test/],
    [
      { algorithm: "RSA", privateKeyPemWo: "k" },
      "privateKeyPemWo",
      /privateKeyPemWo is refused: not implemented/,
    ],
    [{ algorithm: "RSA", earlyRenewalHours: -1 }, "earlyRenewalHours", /at least 0/],
    [{ algorithm: "RSA", earlyRenewalHours: 1.5 }, "earlyRenewalHours", /integer/],
    [{ algorithm: "RSA", subject: { cn: "x" } }, "subject.cn", /not a field of the subject/],
  ])("refuses %j", (news, property, reason) => {
    const failures = checkInputs(schema, news);

    expect(failures).toHaveLength(1);
    expect(failures[0]!.property).toBe(property);
    expect(failures[0]!.reason).toMatch(reason);
  });
});

describe("diffInputs", () => {
  const olds = { algorithm: "ECDSA", ecdsaCurve: "P224", earlyRenewalHours: 0, id: "x" };

  it("sees no change where only defaults were spelled out or dropped", () => {
    expect(diffInputs(schema, olds, { algorithm: "ECDSA" })).toEqual({ changed: [], replaces: [] });
    expect(diffInputs(schema, olds, { algorithm: "ECDSA", dnsNames: [], subject: {} })).toEqual({
      changed: [],
      replaces: [],
    });
  });

  it("replaces on every input but earlyRenewalHours, and on unknown values", () => {
    expect(diffInputs(schema, olds, { algorithm: "ECDSA", ecdsaCurve: "P256" }).replaces).toEqual([
      "ecdsaCurve",
    ]);
    expect(diffInputs(schema, olds, { algorithm: "ECDSA", earlyRenewalHours: 5 })).toEqual({
      changed: ["earlyRenewalHours"],
      replaces: [],
    });
    expect(diffInputs(schema, olds, { algorithm: Unknown }).replaces).toEqual(["algorithm"]);
  });
});

describe("renewal and time", () => {
  it("formats times as Go's MarshalText in UTC", () => {
    expect(certificate.rfc3339(new Date("2026-01-02T03:04:05.000Z"))).toBe("2026-01-02T03:04:05Z");
    expect(certificate.rfc3339(new Date("2026-01-02T03:04:05.120Z"))).toBe(
      "2026-01-02T03:04:05.12Z",
    );
    expect(certificate.rfc3339(new Date("2026-01-02T03:04:10.100Z"))).toBe(
      "2026-01-02T03:04:10.1Z",
    );
  });

  it("is ready for renewal at plan time when the window covers the validity", () => {
    expect(certificate.readyForRenewalAtPlan(0, 0)).toBe(true);
    expect(certificate.readyForRenewalAtPlan(10, 10)).toBe(true);
    expect(certificate.readyForRenewalAtPlan(10, 9)).toBe(false);
  });

  it("begins the early-renewal window at end minus earlyRenewalHours, inclusive", () => {
    const end = "2026-06-01T12:00:00Z";
    const at = (iso: string) => new Date(iso);

    expect(certificate.renewalWindowBegun(end, 2, at("2026-06-01T09:59:59Z"))).toBe(false);
    expect(certificate.renewalWindowBegun(end, 2, at("2026-06-01T10:00:00Z"))).toBe(true);
    expect(certificate.renewalWindowBegun(end, 0, at("2026-06-01T12:00:00Z"))).toBe(true);
    expect(() => certificate.renewalWindowBegun("soon", 0)).toThrow(
      /Failed to parse data from string: soon/,
    );
  });
});

describe("names", () => {
  it("writes a subject in Go's attribute order, PrintableString where it fits", async () => {
    const der = names.encodeName(
      names.nameFromSubject({
        commonName: "gateway",
        organization: "Ashchan & Co",
        country: "DE",
        streetAddresses: ["a", "b"],
        emailAddress: "ops@ashchan.local",
      }),
    );
    const cert = new crypto.X509Certificate(await selfSigned(der));

    expect(cert.subject).toBe(
      "C=DE\nstreet=a + street=b\nO=Ashchan & Co\nCN=gateway\nemailAddress=ops@ashchan.local",
    );
    expect(names.isPrintable("Ashchan & Co")).toBe(false);
    expect(names.isPrintable("Ashchan (Co), Ltd.")).toBe(true);
  });

  it("reads a request's subject as Go's pkix.Name does, dropping the e-mail address", () => {
    const original = names.nameFromSubject({
      commonName: "svc",
      emailAddress: "a@b",
      organization: "O",
    });
    const reread = names.nameFromDer(new Uint8Array(names.encodeName(original)));

    expect(reread).toMatchObject({ commonName: "svc", organization: ["O"], anySet: true });
    expect(reread.emailAddress).toBeUndefined();
    expect(
      names.nameFromDer(new Uint8Array(names.encodeName(names.nameFromSubject(undefined)))).anySet,
    ).toBe(false);
  });

  it("normalises IPs and refuses what Go cannot encode", () => {
    expect(
      names.normaliseAltNames({ dnsNames: [], ipAddresses: ["::ffff:10.0.0.1", "::1"], uris: [] })
        .ipAddresses,
    ).toEqual(["10.0.0.1", "::1"]);
    expect(() =>
      names.normaliseAltNames({ dnsNames: ["bücher.de"], ipAddresses: [], uris: [] }),
    ).toThrow(/IA5String/);
    expect(() =>
      names.normaliseAltNames({ dnsNames: [], ipAddresses: ["10.0.0.256"], uris: [] }),
    ).toThrow(/Invalid IP/);
  });
});

/** A certificate issued by the stand-in with the given subject, to let Node print the name. */
async function selfSigned(subjectDer: ArrayBuffer): Promise<string> {
  const key = generateKey("ECDSA", 0, "P256");
  const issued = await certificate.issueCertificate(
    {
      subjectDer,
      subjectAnySet: true,
      altNames: { dnsNames: [], ipAddresses: [], uris: [] },
      publicKey: crypto.createPublicKey(key.key),
    },
    { validityPeriodHours: 1, allowedUses: [], isCaCertificate: false, setSubjectKeyId: false },
    { key },
  );
  return issued.certPem;
}

describe("keys and OpenSSH", () => {
  it("writes mpints minimally, with a zero byte before a set top bit", () => {
    expect(sshMpint(Buffer.from([0, 0, 0x7f])).toString("hex")).toBe("000000017f");
    expect(sshMpint(Buffer.from([0x80])).toString("hex")).toBe("000000020080");
    expect(sshMpint(Buffer.from([0, 0])).toString("hex")).toBe("00000000");
  });

  it.each([
    ["RSA", "P224"],
    ["ECDSA", "P256"],
    ["ECDSA", "P521"],
    ["ED25519", "P224"],
  ] as const)("%s %s keys round-trip through ssh-keygen", (algorithm, curve) => {
    const parsed = generateKey(algorithm, 2048, curve);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-standin-ssh-"));
    try {
      const file = path.join(dir, "id");
      fs.writeFileSync(file, opensshPrivateKeyPem(parsed), { mode: 0o600 });
      const derived = execFileSync("ssh-keygen", ["-y", "-f", file], {
        encoding: "utf8",
        timeout: 30_000,
      });
      const fingerprint = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", file], {
        encoding: "utf8",
        timeout: 30_000,
      });
      const ours = opensshPublic(parsed);

      expect(derived.trim()).toBe(ours.authorizedKey.trim());
      expect(fingerprint).toContain(ours.fingerprintSha256);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives P-224 keys no OpenSSH encoding, as upstream", () => {
    const parsed = generateKey("ECDSA", 0, "P224");

    expect(opensshPublic(parsed)).toEqual({
      authorizedKey: "",
      fingerprintMd5: "",
      fingerprintSha256: "",
    });
    expect(opensshPrivateKeyPem(parsed)).toBe("");
  });

  it("parses the three PEM forms and refuses others", () => {
    const rsa = generateKey("RSA", 2048, "P224");

    expect(parsePrivateKeyPem(privateKeyPem(rsa)).algorithm).toBe("RSA");
    expect(() => parsePrivateKeyPem("nothing")).toThrow(/failed to decode PEM block/);
    expect(() => parsePrivateKeyPem("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n")).toThrow(
      /unable to determine parser for PEM preamble: FOO/,
    );
    const k1 = crypto.generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey;
    expect(() => describeKey(k1)).toThrow(/unsupported elliptic curve/);
    expect(() => generateKey("RSA", 512, "P224")).toThrow(/at least 1024/);
  });
});
