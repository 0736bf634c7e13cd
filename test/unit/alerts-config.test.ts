import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  alertsConfigSchema,
  durationMs,
  parseAlertsConfig,
  type AlertsConfigInput,
} from "../../components/alerts-config";

const DEFAULTS = {
  criticalDaysBeforeExpiry: 7,
  rotationOverdueFor: "2d",
  criticalFor: "15m",
  expiryMetricAbsentFor: "15m",
  handshakeFailureRatePerSecond: 0.1,
  handshakeFailureRateWindow: "5m",
  handshakeFailureFor: "5m",
};

describe("alertsConfigSchema", () => {
  it.each([undefined, {}])("fills every default for %j", (raw) => {
    expect(alertsConfigSchema.parse(raw)).toEqual(DEFAULTS);
  });

  it("keeps what is set and defaults the rest", () => {
    expect(
      parseAlertsConfig({ criticalDaysBeforeExpiry: 3, handshakeFailureRateWindow: "10m" }),
    ).toEqual({ ...DEFAULTS, criticalDaysBeforeExpiry: 3, handshakeFailureRateWindow: "10m" });
  });

  // `pulumi config set --path` stores values as strings.
  it.each([
    ["criticalDaysBeforeExpiry", "5", 5],
    ["criticalDaysBeforeExpiry", "0.5", 0.5],
    ["handshakeFailureRatePerSecond", "0.25", 0.25],
    ["handshakeFailureRatePerSecond", "0", 0],
    ["handshakeFailureRatePerSecond", "1e-3", 0.001],
  ])("reads %s %j as the number %d", (key, value, expected) => {
    expect(parseAlertsConfig({ [key]: value })[key as keyof typeof DEFAULTS]).toBe(expected);
  });

  it("parses its own output to the same value", () => {
    const once = parseAlertsConfig({ criticalDaysBeforeExpiry: "3", criticalFor: "1h" });
    expect(parseAlertsConfig(once)).toEqual(once);
  });
});

describe("parseAlertsConfig errors", () => {
  it.each<[AlertsConfigInput | unknown, string]>([
    [
      { criticalDaysBeforeExpiry: 0 },
      "mesh-pki:alerts.criticalDaysBeforeExpiry: must be more than 0 days",
    ],
    [
      { criticalDaysBeforeExpiry: -7 },
      "mesh-pki:alerts.criticalDaysBeforeExpiry: must be more than 0 days",
    ],
    [
      { criticalDaysBeforeExpiry: "a week" },
      'mesh-pki:alerts.criticalDaysBeforeExpiry: must be a number, not "a week"',
    ],
    [
      { handshakeFailureRatePerSecond: -0.1 },
      "mesh-pki:alerts.handshakeFailureRatePerSecond: must not be negative; set 0 to alert on any " +
        "failure, or a rate such as 0.1",
    ],
    [
      { handshakeFailureRatePerSecond: "lots" },
      'mesh-pki:alerts.handshakeFailureRatePerSecond: must be a number, not "lots"',
    ],
    [
      { handshakeFailureRatePerSecond: "NaN" },
      'mesh-pki:alerts.handshakeFailureRatePerSecond: must be a number, not "NaN"',
    ],
    [
      { handshakeFailureRatePerSecond: Infinity },
      "mesh-pki:alerts.handshakeFailureRatePerSecond: must be a number, not Infinity",
    ],
    [
      { handshakeFailureRateWindow: "0m" },
      'mesh-pki:alerts.handshakeFailureRateWindow: "0m" is not longer than zero; set a positive duration',
    ],
    [
      { handshakeFailureRateWindow: "-5m" },
      'mesh-pki:alerts.handshakeFailureRateWindow: "-5m" is not a Prometheus duration; write it as',
    ],
    [
      { rotationOverdueFor: "2 days" },
      'mesh-pki:alerts.rotationOverdueFor: "2 days" is not a Prometheus duration',
    ],
    [
      { expiryMetricAbsentFor: "" },
      'mesh-pki:alerts.expiryMetricAbsentFor: "" is not a Prometheus duration',
    ],
    [
      { criticalFor: 15 },
      'mesh-pki:alerts.criticalFor: must be a Prometheus duration such as "15m" or "2d"',
    ],
    [
      { criticalDays: 7 },
      "mesh-pki:alerts.criticalDays: unknown key; the keys are criticalDaysBeforeExpiry, " +
        "rotationOverdueFor, criticalFor, expiryMetricAbsentFor, handshakeFailureRatePerSecond, " +
        "handshakeFailureRateWindow, handshakeFailureFor",
    ],
    ["7", "mesh-pki:alerts: must be an object of alert settings"],
  ])("rejects %j", (raw, message) => {
    expect(() => parseAlertsConfig(raw)).toThrow(message);
  });

  it("lists every problem at once", () => {
    expect(() =>
      parseAlertsConfig({ criticalDaysBeforeExpiry: -1, handshakeFailureRatePerSecond: -1 }),
    ).toThrow(
      /criticalDaysBeforeExpiry: must be more than 0 days.*\n.*handshakeFailureRatePerSecond: must not be negative/,
    );
  });

  it("rejects every negative rate and accepts every other finite one", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (rate) => {
        const parse = () => parseAlertsConfig({ handshakeFailureRatePerSecond: rate });
        if (rate < 0) {
          expect(parse).toThrow(
            "mesh-pki:alerts.handshakeFailureRatePerSecond: must not be negative",
          );
        } else {
          expect(parse().handshakeFailureRatePerSecond).toBe(rate);
        }
      }),
    );
  });
});

describe("durationMs", () => {
  it.each([
    ["5m", 300_000],
    ["90s", 90_000],
    ["1h30m", 5_400_000],
    ["2d", 172_800_000],
    ["1w", 604_800_000],
    ["1y", 31_536_000_000],
    ["250ms", 250],
    ["0s", 0],
  ])("reads %s as %d ms", (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it.each(["", "5", "m", "5 m", "1.5h", "-5m", "30m1h", "5M"])("refuses %j", (text) => {
    expect(durationMs(text)).toBeUndefined();
  });

  it("reads any sum of units written in Prometheus order", () => {
    const units = ["y", "w", "d", "h", "m", "s", "ms"] as const;
    const unitMs = [31_536_000_000, 604_800_000, 86_400_000, 3_600_000, 60_000, 1_000, 1];
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.nat(1000), { nil: undefined }), {
          minLength: 7,
          maxLength: 7,
        }),
        (counts) => {
          const text = counts.map((n, i) => (n === undefined ? "" : `${n}${units[i]}`)).join("");
          const expected = counts.reduce<number>((sum, n, i) => sum + (n ?? 0) * unitMs[i], 0);
          expect(durationMs(text)).toBe(text === "" ? undefined : expected);
        },
      ),
    );
  });
});
