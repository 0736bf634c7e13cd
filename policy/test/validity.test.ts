import { describe, expect, it } from "vitest";
import {
  caValidityCeiling,
  leafValidityAdvisory,
  leafValidityCeiling,
  renewalWindow,
} from "../validity";
import { caCert, leafCert } from "./fixtures";
import { advisory, mandatory, notChecked, runResourcePolicy, UNKNOWN } from "./harness";

const leaf = "LocallySignedCert 'gateway-cert'";
const ca = "SelfSignedCert 'ashchan-ca-cert'";

describe("leaf-validity-ceiling", () => {
  it.each([
    ["the 90-day default leaf", {}, []],
    ["a 398-day leaf", { validityPeriodHours: 9552 }, []],
    [
      "a 5-year leaf",
      { validityPeriodHours: 43800 },
      mandatory(
        "leaf-validity-ceiling",
        `${leaf}: a leaf valid for 43800 h (1825 days) exceeds 398 days; set validityPeriodHours to at most 9552.`,
      ),
    ],
    [
      "a 399-day leaf",
      { validityPeriodHours: 9576 },
      mandatory(
        "leaf-validity-ceiling",
        `${leaf}: a leaf valid for 9576 h (399 days) exceeds 398 days; set validityPeriodHours to at most 9552.`,
      ),
    ],
    [
      "a validity unknown during preview",
      { validityPeriodHours: UNKNOWN },
      advisory(
        "leaf-validity-ceiling",
        notChecked(`${leaf}: the validity ceiling (validityPeriodHours is unknown)`),
      ),
    ],
  ])("%s", async (_, change, expected) => {
    expect(await runResourcePolicy(leafValidityCeiling, leafCert("gateway", change))).toEqual(
      expected,
    );
  });

  it("leaves CA certificates to ca-validity-ceiling", async () => {
    expect(await runResourcePolicy(leafValidityCeiling, caCert())).toEqual([]);
  });

  it("takes maxDays from config", async () => {
    expect(await runResourcePolicy(leafValidityCeiling, leafCert(), { maxDays: 30 })).toEqual(
      mandatory(
        "leaf-validity-ceiling",
        `${leaf}: a leaf valid for 2160 h (90 days) exceeds 30 days; set validityPeriodHours to at most 720.`,
      ),
    );
  });
});

describe("leaf-validity-advisory", () => {
  it.each([
    ["a 90-day leaf", {}, []],
    [
      "a 180-day leaf",
      { validityPeriodHours: 4320 },
      advisory(
        "leaf-validity-advisory",
        `${leaf}: a leaf valid for 4320 h (180 days) is longer than the recommended 90 days; consider validityPeriodHours of at most 2160.`,
      ),
    ],
  ])("%s", async (_, change, expected) => {
    expect(await runResourcePolicy(leafValidityAdvisory, leafCert("gateway", change))).toEqual(
      expected,
    );
  });

  it("takes maxDays from config", async () => {
    const long = leafCert("gateway", { validityPeriodHours: 4320 });
    expect(await runResourcePolicy(leafValidityAdvisory, long, { maxDays: 200 })).toEqual([]);
  });
});

describe("ca-validity-ceiling", () => {
  it.each([
    ["a 10-year CA", {}, []],
    [
      "a 20-year CA",
      { validityPeriodHours: 175200 },
      mandatory(
        "ca-validity-ceiling",
        `${ca}: a CA valid for 175200 h (7300 days) exceeds 3650 days; set validityPeriodHours to at most 87600.`,
      ),
    ],
    [
      "a CA flag unknown during preview",
      { isCaCertificate: UNKNOWN },
      advisory(
        "ca-validity-ceiling",
        notChecked(`${ca}: the validity ceiling (isCaCertificate is unknown)`),
      ),
    ],
  ])("%s", async (_, change, expected) => {
    expect(await runResourcePolicy(caValidityCeiling, caCert("ashchan-ca-cert", change))).toEqual(
      expected,
    );
  });

  it("takes maxDays from config", async () => {
    expect(await runResourcePolicy(caValidityCeiling, caCert(), { maxDays: 5000 })).toEqual([]);
    expect(await runResourcePolicy(caValidityCeiling, caCert(), { maxDays: 1825 })).toHaveLength(1);
  });
});

describe("renewal-window", () => {
  it.each([
    ["a 30-day window on a 90-day leaf", {}, []],
    [
      "no window",
      { earlyRenewalHours: undefined },
      mandatory(
        "renewal-window",
        `${leaf}: no renewal window: set a renew-before (earlyRenewalHours) greater than zero.`,
      ),
    ],
    [
      "a zero window",
      { earlyRenewalHours: 0 },
      mandatory(
        "renewal-window",
        `${leaf}: no renewal window: set a renew-before (earlyRenewalHours) greater than zero.`,
      ),
    ],
    [
      "a window as long as the validity",
      { earlyRenewalHours: 2160 },
      mandatory(
        "renewal-window",
        `${leaf}: renewal window of 2160 h is not shorter than the validity of 2160 h.`,
      ),
    ],
    [
      "a window under 5% of the validity",
      { earlyRenewalHours: 100 },
      mandatory(
        "renewal-window",
        `${leaf}: renewal window of 100 h is under 5% of the validity of 2160 h.`,
      ),
    ],
    [
      "a window unknown during preview",
      { earlyRenewalHours: UNKNOWN },
      advisory(
        "renewal-window",
        notChecked(`${leaf}: the renewal window (earlyRenewalHours is unknown)`),
      ),
    ],
  ])("%s", async (_, change, expected) => {
    expect(await runResourcePolicy(renewalWindow, leafCert("gateway", change))).toEqual(expected);
  });

  it("applies to CA certificates too", async () => {
    expect(
      await runResourcePolicy(renewalWindow, caCert("ashchan-ca-cert", { earlyRenewalHours: 0 })),
    ).toEqual(
      mandatory(
        "renewal-window",
        `${ca}: no renewal window: set a renew-before (earlyRenewalHours) greater than zero.`,
      ),
    );
  });

  it("takes minShare from config", async () => {
    expect(await runResourcePolicy(renewalWindow, leafCert(), { minShare: 0.5 })).toEqual(
      mandatory(
        "renewal-window",
        `${leaf}: renewal window of 720 h is under 50% of the validity of 2160 h.`,
      ),
    );
  });
});
