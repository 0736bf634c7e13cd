import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  HOURS_PER_DAY,
  KEY_ALGORITHMS,
  LEAF_MAX_VALIDITY_DAYS,
  isHostLocalSan,
} from "../../rules/tls";
import { certificateFacts, joinPem } from "../../components/certFacts";
import { checkedKeyInputs } from "../../components/issuer";
import { defaultDnsNames, serviceSans, spiffeId } from "../../components/sans";
import { certificateWindows } from "../../components/windows";
import { leafUsages } from "../../rules/tls";
import { fixturePem } from "./mocks";

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const dnsName = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join("."));

describe("serviceSans", () => {
  it.each([
    [
      { serviceName: "gateway", trustDomain: "ashchan.local" },
      {
        dnsNames: ["gateway", "localhost", "gateway.ashchan.local"],
        ipAddresses: [],
        uris: ["spiffe://ashchan.local/service/gateway"],
      },
    ],
    [
      {
        serviceName: "media",
        trustDomain: "mesh.example",
        extraDnsNames: ["cdn.mesh.example", "media"],
        ipAddresses: ["10.0.0.7", "::1"],
      },
      {
        dnsNames: ["media", "localhost", "media.mesh.example", "cdn.mesh.example"],
        ipAddresses: ["10.0.0.7", "::1"],
        uris: ["spiffe://mesh.example/service/media"],
      },
    ],
  ])("%j", (input, expected) => {
    expect(serviceSans(input)).toEqual(expected);
  });

  it("starts with the defaults, keeps every extra name once, and carries one SPIFFE URI", () => {
    fc.assert(
      fc.property(label, dnsName, fc.array(dnsName, { maxLength: 8 }), (name, td, extra) => {
        const sans = serviceSans({ serviceName: name, trustDomain: td, extraDnsNames: extra });

        const defaults = [...new Set(defaultDnsNames(td, name))];
        expect(sans.dnsNames.slice(0, defaults.length)).toEqual(defaults);
        expect(new Set(sans.dnsNames).size).toBe(sans.dnsNames.length);
        expect(new Set(sans.dnsNames)).toEqual(new Set([...defaultDnsNames(td, name), ...extra]));
        expect(sans.uris).toEqual([spiffeId(td, name)]);
        expect(sans.uris[0]).toBe(`spiffe://${td}/service/${name}`);
      }),
    );
  });
});

describe("leafUsages by key type", () => {
  it.each([
    ["ecdsa-p256", ["digital_signature", "server_auth", "client_auth"]],
    ["ecdsa-p384", ["digital_signature", "server_auth", "client_auth"]],
    ["ed25519", ["digital_signature", "server_auth", "client_auth"]],
    ["rsa-3072", ["digital_signature", "key_encipherment", "server_auth", "client_auth"]],
    ["rsa-4096", ["digital_signature", "key_encipherment", "server_auth", "client_auth"]],
  ] as const)("%s gets %j", (alg, usages) => {
    expect(leafUsages(alg)).toEqual(usages);
  });

  it("covers every supported algorithm", () => {
    expect(KEY_ALGORITHMS.map((a) => leafUsages(a).includes("key_encipherment"))).toEqual(
      KEY_ALGORITHMS.map((a) => a.startsWith("rsa-")),
    );
  });
});

describe("checkedKeyInputs", () => {
  it.each([
    ["ecdsa-p256", { algorithm: "ECDSA", ecdsaCurve: "P256" }],
    ["ecdsa-p384", { algorithm: "ECDSA", ecdsaCurve: "P384" }],
    ["rsa-3072", { algorithm: "RSA", rsaBits: 3072 }],
    ["rsa-4096", { algorithm: "RSA", rsaBits: 4096 }],
    ["ed25519", { algorithm: "ED25519" }],
  ] as const)("%s", (alg, inputs) => {
    expect(checkedKeyInputs("test", alg)).toEqual(inputs);
  });

  it("refuses an unknown algorithm naming the argument", () => {
    expect(() => checkedKeyInputs("ServiceIdentity x", "rsa-2048" as never)).toThrow(
      /ServiceIdentity x: keyAlgorithm "rsa-2048" is unknown; use one of ecdsa-p256/,
    );
  });
});

describe("certificateWindows", () => {
  it.each([
    [
      { validityDays: 365, renewBeforeDays: 30 },
      { validityPeriodHours: 8760, earlyRenewalHours: 720, renewAfterHours: 8040 },
    ],
    [
      { validityDays: 3650, renewBeforeDays: 365 },
      { validityPeriodHours: 87600, earlyRenewalHours: 8760, renewAfterHours: 78840 },
    ],
    [
      { validityDays: 2, renewBeforeDays: 1 },
      { validityPeriodHours: 48, earlyRenewalHours: 24, renewAfterHours: 24 },
    ],
  ])("%j", (days, windows) => {
    expect(certificateWindows(days)).toEqual(windows);
  });

  it.each([
    [{ validityDays: 30, renewBeforeDays: 30 }, /shorter than validityDays/],
    [{ validityDays: 30, renewBeforeDays: 31 }, /shorter than validityDays/],
    [{ validityDays: 0, renewBeforeDays: 1 }, /validityDays must be/],
    [{ validityDays: 10.5, renewBeforeDays: 1 }, /validityDays must be/],
    [{ validityDays: 10, renewBeforeDays: 0 }, /renewBeforeDays must be/],
  ])("refuses %j", (days, message) => {
    expect(() => certificateWindows(days)).toThrow(message);
  });

  it("gives hours in whole days with the renewal point inside the validity", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: LEAF_MAX_VALIDITY_DAYS })
          .chain((v) => fc.tuple(fc.constant(v), fc.integer({ min: 1, max: v - 1 }))),
        ([validityDays, renewBeforeDays]) => {
          const w = certificateWindows({ validityDays, renewBeforeDays });

          expect(w.validityPeriodHours).toBe(validityDays * HOURS_PER_DAY);
          expect(w.earlyRenewalHours).toBe(renewBeforeDays * HOURS_PER_DAY);
          expect(w.earlyRenewalHours).toBeLessThan(w.validityPeriodHours);
          expect(w.renewAfterHours + w.earlyRenewalHours).toBe(w.validityPeriodHours);
          expect(w.renewAfterHours).toBeGreaterThan(0);
        },
      ),
    );
  });
});

describe("certificateFacts", () => {
  // Expected values read with openssl from the committed fixtures (fixtures/README.md).
  it.each([
    [
      "leaf-p256",
      "0A1B2C3D",
      "FF:04:9B:6C:A4:C2:5D:35:6F:41:C7:8F:E4:B4:84:68:34:D6:7F:B2:24:C2:9B:65:B4:15:70:68:9E:95:F8:98",
      "VltRd102eobJc6Md7tsehxxTQQUkPHVsLreSFQkpYx4=",
      "2026-12-03T13:53:31.000Z",
      "2036-11-30T13:53:31.000Z",
    ],
    [
      "root-p384",
      "01",
      "E1:0E:1E:F1:26:12:BF:DD:F2:33:5C:82:17:31:FE:F2:59:FD:92:97:67:22:5F:09:59:24:10:19:6D:51:67:AF",
      "zQ5ouCPaTqxhgMLL7JRd1HReZJExcclA2l7OqRMy1Tw=",
      "2026-12-03T13:53:31.000Z",
      "2036-11-30T13:53:31.000Z",
    ],
    [
      "issuer-ed25519",
      "7FFFFFFFFFFFFFFF",
      "5C:58:E7:C6:20:B2:CB:73:58:8C:DF:34:9B:C9:6C:F9:04:84:5A:E7:7E:D0:25:E8:C3:3F:D7:D3:E1:44:25:2B",
      "I+yHvwZwJJckw8YpAL7r1qYKw7esjyZykcIGmi7Fxns=",
      "2026-12-03T13:53:31.000Z",
      "2036-11-30T13:53:31.000Z",
    ],
    [
      "leaf-rsa3072",
      "C0FFEE",
      "AA:7B:4A:8B:3A:63:95:E8:09:10:5C:85:1D:55:ED:1E:3F:ED:1F:E9:A6:44:B3:4B:44:5C:0D:4D:ED:C0:98:4A",
      "fGTSEIQCHmPM508oj0PDybWutcDZ7SNacDYYYV4VNbg=",
      "2026-12-03T13:53:33.000Z",
      "2036-11-30T13:53:33.000Z",
    ],
  ])("%s", (fixture, serialNumber, fingerprintSha256, spkiPinSha256, notBefore, notAfter) => {
    expect(certificateFacts(fixturePem(fixture))).toEqual({
      serialNumber,
      fingerprintSha256,
      spkiPinSha256,
      notBefore,
      notAfter,
    });
  });

  it("reads the first certificate of a chain", () => {
    const chain = joinPem(fixturePem("leaf-p256"), fixturePem("issuer-ed25519"));
    expect(certificateFacts(chain).serialNumber).toBe("0A1B2C3D");
  });

  it("refuses what is not a certificate", () => {
    expect(() =>
      certificateFacts("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
    ).toThrow();
  });
});

describe("joinPem", () => {
  it.each([
    [["A\n", "B\n"], "A\nB\n"],
    [["A", ""], "A\n"],
    [["A\n\n", "  B"], "A\nB\n"],
    [[], ""],
  ])("%j", (blocks, joined) => {
    expect(joinPem(...blocks)).toBe(joined);
  });
});

describe("isHostLocalSan", () => {
  it.each([
    ["localhost", true],
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["0:0:0:0:0:0:0:1", true],
    ["gateway", false],
    ["10.0.0.1", false],
    ["localhost.ashchan.local", false],
  ])("%s is %s", (san, local) => {
    expect(isHostLocalSan(san)).toBe(local);
  });
});
