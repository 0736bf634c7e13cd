import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parse } from "yaml";
import { durationMs, parseAlertsConfig, type AlertsConfig } from "../../components/alerts-config";
import {
  alertRuleGroups,
  notAfterUnixSeconds,
  renderAlertRules,
  type AlertingRule,
  type RecordingRule,
  type Rule,
  type RuleGroup,
  type ServiceWindow,
} from "../../components/alerts";

const REFERENCE_SERVICES = ["gateway", "auth", "boards", "media", "search", "moderation"];
const DEFAULTS = parseAlertsConfig({});
const NOT_AFTER = 1_798_761_600; // 2027-01-01T00:00:00Z

function reference(notAfter?: number): ServiceWindow[] {
  return REFERENCE_SERVICES.map((name) => ({
    name,
    validityDays: 365,
    renewBeforeDays: 30,
    notAfterUnixSeconds: notAfter,
  }));
}

function alerts(groups: RuleGroup[], alert: string): AlertingRule[] {
  return groups
    .flatMap((g) => g.rules)
    .filter((r): r is AlertingRule => "alert" in r && r.alert === alert);
}

function alertFor(groups: RuleGroup[], alert: string, service: string): AlertingRule {
  const found = alerts(groups, alert).filter((r) => r.labels.service === service);
  expect(found).toHaveLength(1);
  return found[0];
}

const RUNBOOK =
  "Run `pulumi up --stack prod`, check in its rotation output that gateway got a new certificate, " +
  "and that gateway was redeployed with it.";

describe("alertRuleGroups for the reference mesh", () => {
  it("has one certificate group with three alerts per service, and one handshake group", () => {
    const groups = alertRuleGroups(reference(), DEFAULTS);

    expect(groups.map((g) => g.name)).toEqual(["mesh-pki-certificates", "mesh-pki-handshakes"]);
    expect(groups[0].rules.map((r) => ("alert" in r ? r.alert : r.record))).toEqual(
      REFERENCE_SERVICES.flatMap(() => [
        "MeshCertificateRotationOverdue",
        "MeshCertificateExpiryCritical",
        "MeshCertificateExpiryMetricAbsent",
      ]),
    );
    expect(groups[1].rules).toHaveLength(1);
  });

  it("writes the exact rules of one service when the PKI's not-after is unknown", () => {
    const groups = alertRuleGroups(reference(), DEFAULTS, { stack: "prod" });

    expect(groups[0].rules.slice(0, 3)).toEqual([
      {
        alert: "MeshCertificateRotationOverdue",
        expr: 'ssl_certificate_expiry_days{service="gateway"} < 30',
        for: "2d",
        labels: { severity: "warning", service: "gateway" },
        annotations: {
          summary: "Certificate rotation of gateway is overdue",
          description:
            'The certificate of gateway has {{ printf "%.1f" $value }} days left. Its 365-day ' +
            "certificate is rotated 30 days before expiry and has been past that point for more " +
            `than 2d, so rotation or its rollout failed. ${RUNBOOK}`,
        },
      },
      {
        alert: "MeshCertificateExpiryCritical",
        expr: 'ssl_certificate_expiry_days{service="gateway"} < 7',
        for: "15m",
        labels: { severity: "critical", service: "gateway" },
        annotations: {
          summary: "Certificate of gateway expires in less than 7 days",
          description:
            'The certificate of gateway has {{ printf "%.1f" $value }} days left; every mTLS ' +
            `handshake with gateway fails once it expires. ${RUNBOOK}`,
        },
      },
      {
        alert: "MeshCertificateExpiryMetricAbsent",
        expr: 'absent(ssl_certificate_expiry_days{service="gateway"})',
        for: "15m",
        labels: { severity: "critical", service: "gateway" },
        annotations: {
          summary: "gateway does not report ssl_certificate_expiry_days",
          description:
            'No ssl_certificate_expiry_days series with service="gateway" for 15m, so nothing ' +
            "watches the certificate it serves. Check that gateway is running and scraped and " +
            "still exports the metric.",
        },
      },
    ]);
  });

  it("records the PKI's not-after and falls back to it while the service reports nothing", () => {
    const groups = alertRuleGroups(reference(NOT_AFTER), DEFAULTS);
    const [record, overdue, critical, absent] = groups[0].rules as [
      RecordingRule,
      AlertingRule,
      AlertingRule,
      AlertingRule,
    ];

    expect(record).toEqual({
      record: "mesh_pki_certificate_not_after_timestamp_seconds",
      expr: "vector(1798761600)",
      labels: { service: "gateway" },
    });
    const fallback = (days: number) =>
      [
        `ssl_certificate_expiry_days{service="gateway"} < ${days}`,
        "or (",
        "  label_replace(",
        `    (mesh_pki_certificate_not_after_timestamp_seconds{service="gateway"} - time()) / 86400 < ${days},`,
        '    "expiry_source", "pki", "", ""',
        "  )",
        '  unless on (service) ssl_certificate_expiry_days{service="gateway"}',
        ")",
      ].join("\n");
    expect(overdue.expr).toBe(fallback(30));
    expect(critical.expr).toBe(fallback(7));
    expect(absent.expr).toBe('absent(ssl_certificate_expiry_days{service="gateway"})');
    expect(absent.annotations.description).toMatch(
      /Meanwhile the expiry alerts follow the PKI's mesh_pki_certificate_not_after_timestamp_seconds/,
    );
    expect(groups[0].rules).toHaveLength(4 * REFERENCE_SERVICES.length);
  });

  it("sums the handshake failure rate by service over the mesh's services", () => {
    const [, handshakes] = alertRuleGroups(reference(), DEFAULTS);

    expect(handshakes.rules).toEqual([
      {
        alert: "MeshMtlsHandshakeFailureRate",
        expr:
          "sum by (service) (rate(mtls_handshake_failures_total" +
          '{service=~"gateway|auth|boards|media|search|moderation"}[5m])) > 0.1',
        for: "5m",
        labels: { severity: "warning" },
        annotations: {
          summary: "mTLS handshake failures on {{ $labels.service }}",
          description: expect.stringMatching(
            /^\{\{ \$labels\.service \}\} fails \{\{ printf "%\.3g" \$value \}\} mTLS handshakes per second over 5m \(threshold 0\.1\)\./,
          ),
        },
      },
    ]);
  });

  it("escapes service names in selectors and regular expressions", () => {
    const groups = alertRuleGroups(
      [{ name: 'edge.v2"x', validityDays: 90, renewBeforeDays: 30 }],
      DEFAULTS,
    );

    expect(groups[0].rules[0].expr).toBe('ssl_certificate_expiry_days{service="edge.v2\\"x"} < 30');
    expect(groups[1].rules[0].expr).toContain('{service=~"edge\\\\.v2\\"x"}[5m]');
  });

  it("has no groups for a mesh without services", () => {
    expect(alertRuleGroups([], DEFAULTS)).toEqual([]);
    expect(parse(renderAlertRules([]))).toEqual({ groups: [] });
  });
});

describe("alertRuleGroups over a table of windows", () => {
  // The warning threshold is each service's own renewal point, never a fixed number of days: a fixed
  // 30-day warning fires on every healthy renewal of a certificate that renews 30 or more days out.
  it.each<[string, number, number, Partial<AlertsConfig>, string, string, string]>([
    ["reference: 365 d, renew 30 d", 365, 30, {}, "< 30", "< 7", "2d"],
    ["renew 60 d, past a fixed 30-day warning", 365, 60, {}, "< 60", "< 7", "2d"],
    [
      "90 d, renew 30 d, critical 14 d",
      90,
      30,
      { criticalDaysBeforeExpiry: 14 },
      "< 30",
      "< 14",
      "2d",
    ],
    [
      "30 d, renew 10 d, critical 3 d",
      30,
      10,
      { criticalDaysBeforeExpiry: 3 },
      "< 10",
      "< 3",
      "2d",
    ],
    [
      "2 d, renew 12 h, critical 2.4 h",
      2,
      0.5,
      { criticalDaysBeforeExpiry: 0.1, rotationOverdueFor: "1h" },
      "< 0.5",
      "< 0.1",
      "1h",
    ],
    [
      "398 d, renew 90 d, grace 1w",
      398,
      90,
      { rotationOverdueFor: "1w", criticalFor: "1h" },
      "< 90",
      "< 7",
      "1w",
    ],
  ])("%s", (_, validityDays, renewBeforeDays, overrides, overdue, critical, grace) => {
    const config = parseAlertsConfig(overrides);
    const groups = alertRuleGroups([{ name: "boards", validityDays, renewBeforeDays }], config);
    const metric = 'ssl_certificate_expiry_days{service="boards"}';

    expect(alertFor(groups, "MeshCertificateRotationOverdue", "boards")).toMatchObject({
      expr: `${metric} ${overdue}`,
      for: grace,
      labels: { severity: "warning", service: "boards" },
    });
    expect(alertFor(groups, "MeshCertificateExpiryCritical", "boards")).toMatchObject({
      expr: `${metric} ${critical}`,
      for: config.criticalFor,
      labels: { severity: "critical", service: "boards" },
    });
    expect(alertFor(groups, "MeshCertificateExpiryMetricAbsent", "boards")).toMatchObject({
      expr: `absent(${metric})`,
      for: "15m",
      labels: { severity: "critical", service: "boards" },
    });
    expect(simulateOverdue(groups, validityDays, renewBeforeDays, durationMs(grace)! / 2)).toBe(
      false,
    );
  });

  it.each<[Partial<AlertsConfig>, string]>([
    [{ handshakeFailureRatePerSecond: 0 }, "[5m])) > 0"],
    [
      { handshakeFailureRatePerSecond: "0.5" as never, handshakeFailureRateWindow: "2m" },
      "[2m])) > 0.5",
    ],
    [{ handshakeFailureRateWindow: "1h30m" }, "[1h30m])) > 0.1"],
  ])("handshake rule for %j ends with %s", (overrides, tail) => {
    const groups = alertRuleGroups(reference(), parseAlertsConfig(overrides));
    expect(alerts(groups, "MeshMtlsHandshakeFailureRate")[0].expr.endsWith(tail)).toBe(true);
  });
});

describe("renderAlertRules", () => {
  it("round-trips through YAML to the same groups", () => {
    const groups = alertRuleGroups(reference(NOT_AFTER), DEFAULTS, { stack: "prod" });
    const yaml = renderAlertRules(groups);

    expect(parse(yaml)).toEqual({ groups });
    expect(yaml.startsWith("# Prometheus rules generated by mesh-pki")).toBe(true);
    expect(yaml).toContain(
      '        expr: |-\n          ssl_certificate_expiry_days{service="auth"} < 30\n',
    );
    expect(yaml).toContain("        for: 2d\n");
  });
});

describe("alertRuleGroups bad input", () => {
  const boards = (window: Partial<ServiceWindow>): ServiceWindow[] => [
    { name: "boards", validityDays: 365, renewBeforeDays: 30, ...window },
  ];

  it.each<[string, ServiceWindow[], unknown, string]>([
    [
      "a critical threshold equal to the renewal window",
      boards({ renewBeforeDays: 7 }),
      {},
      'mesh-pki:alerts.criticalDaysBeforeExpiry (7) is not shorter than the renewal window of service "boards" (7 days), so the critical alert would fire in every healthy renewal; set it below 7, or renew "boards" earlier (mesh-pki:services.boards.renewBeforeDays)',
    ],
    [
      "a critical threshold longer than the renewal window",
      boards({}),
      { criticalDaysBeforeExpiry: 45 },
      'mesh-pki:alerts.criticalDaysBeforeExpiry (45) is not shorter than the renewal window of service "boards" (30 days)',
    ],
    [
      "a grace that outlasts the time before the critical alert",
      boards({ renewBeforeDays: 8 }),
      {},
      'mesh-pki:alerts.rotationOverdueFor (2d) is not shorter than the 1 days between the renewal point of service "boards" and its critical alert, so the overdue warning would never come first; shorten it or lower criticalDaysBeforeExpiry',
    ],
    [
      "a negative rate",
      boards({}),
      { handshakeFailureRatePerSecond: -1 },
      "mesh-pki:alerts.handshakeFailureRatePerSecond: must not be negative",
    ],
    [
      "a non-numeric rate",
      boards({}),
      { handshakeFailureRatePerSecond: "often" },
      'mesh-pki:alerts.handshakeFailureRatePerSecond: must be a number, not "often"',
    ],
    [
      "a zero rate window",
      boards({}),
      { handshakeFailureRateWindow: "0s" },
      'mesh-pki:alerts.handshakeFailureRateWindow: "0s" is not longer than zero',
    ],
    [
      "a renewal window as long as the validity",
      boards({ renewBeforeDays: 365 }),
      {},
      'service "boards": renewBeforeDays (365) must be more than 0 and shorter than validityDays (365)',
    ],
    [
      "a zero renewal window",
      boards({ renewBeforeDays: 0 }),
      {},
      'service "boards": renewBeforeDays (0) must be more than 0',
    ],
    [
      "a negative validity",
      boards({ validityDays: -1 }),
      {},
      'service "boards": validityDays (-1) must be a positive number',
    ],
    [
      "a not-after that is not a number",
      boards({ notAfterUnixSeconds: NaN }),
      {},
      'service "boards": notAfterUnixSeconds (NaN) is not a number',
    ],
    [
      "a service twice",
      [...boards({}), ...boards({})],
      {},
      'service "boards" appears twice; give each service one window',
    ],
    ["a service without a name", boards({ name: "" }), {}, "a service has an empty name"],
  ])("rejects %s", (_, services, config, message) => {
    expect(() => alertRuleGroups(services, config as AlertsConfig)).toThrow(message);
  });
});

describe("notAfterUnixSeconds", () => {
  it.each([
    ["2027-01-01T00:00:00Z", NOT_AFTER],
    ["2027-01-01T01:00:00+01:00", NOT_AFTER],
    ["2027-01-01T00:00:00.999Z", NOT_AFTER],
  ])("reads %s", (text, seconds) => {
    expect(notAfterUnixSeconds(text)).toBe(seconds);
  });

  it.each(["", "2027-01-01", "tomorrow", "2027-13-01T00:00:00Z"])("refuses %j", (text) => {
    expect(() => notAfterUnixSeconds(text)).toThrow("is not an RFC 3339 time");
  });
});

/**
 * Evaluates the overdue rule of a service without a PKI fallback over two rotation cycles, hour by
 * hour: the certificate is replaced `lagMs` after its renewal point. True when the alert would fire.
 */
function simulateOverdue(
  groups: RuleGroup[],
  validityDays: number,
  renewBeforeDays: number,
  lagMs: number,
): boolean {
  const rule = alerts(groups, "MeshCertificateRotationOverdue")[0];
  const threshold = Number(/ < ([^ ]+)$/.exec(rule.expr)![1]);
  const forMs = durationMs(rule.for)!;
  const stepMs = 60_000 * 5;
  const cycleMs = (validityDays - renewBeforeDays) * 86_400_000 + lagMs;
  let pendingSince: number | undefined;

  for (let now = 0; now <= 2 * cycleMs; now += stepMs) {
    const issuedAt = Math.floor(now / cycleMs) * cycleMs;
    const daysLeft = validityDays - (now - issuedAt) / 86_400_000;
    if (daysLeft < threshold) {
      pendingSince ??= now;
      if (now - pendingSince >= forMs) {
        return true;
      }
    } else {
      pendingSince = undefined;
    }
  }
  return false;
}

describe("properties", () => {
  const window = fc
    .record({
      validityDays: fc.integer({ min: 2, max: 398 }),
      renewShare: fc.double({ min: 0.05, max: 0.9, noNaN: true }),
    })
    .map(({ validityDays, renewShare }) => ({
      validityDays,
      renewBeforeDays: Math.max(1, Math.floor(validityDays * renewShare)),
    }))
    .filter((w) => w.renewBeforeDays < w.validityDays);
  const mesh = fc
    .uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,14}$/), { minLength: 1, maxLength: 8 })
    .chain((names) =>
      fc.tuple(
        ...names.map((name) =>
          fc
            .record({
              window,
              notAfterUnixSeconds: fc.option(fc.integer({ min: 1, max: 4_102_444_800 }), {
                nil: undefined,
              }),
            })
            .map(({ window, notAfterUnixSeconds }) => ({ name, ...window, notAfterUnixSeconds })),
        ),
      ),
    );
  // The critical threshold and the grace as shares of the shortest renewal window, so they are valid:
  // at most 60 % of it for the critical threshold and 35 % for the grace.
  const thresholds = fc.record({
    criticalShare: fc.double({ min: 0.01, max: 0.6, noNaN: true }),
    graceShare: fc.double({ min: 0, max: 1, noNaN: true }),
  });
  const configFor = (
    services: ServiceWindow[],
    t: { criticalShare: number; graceShare: number },
  ) => {
    const shortest = Math.min(...services.map((s) => s.renewBeforeDays));
    const graceHours = Math.max(1, Math.floor(shortest * 24 * 0.35 * t.graceShare));
    return parseAlertsConfig({
      criticalDaysBeforeExpiry: shortest * t.criticalShare,
      rotationOverdueFor: `${graceHours}h`,
    });
  };

  it("renders any valid mesh to YAML that parses back to the same groups", () => {
    fc.assert(
      fc.property(mesh, thresholds, (services, t) => {
        const groups = alertRuleGroups(services, configFor(services, t));
        const records = services.filter((s) => s.notAfterUnixSeconds !== undefined).length;

        expect(groups[0].rules).toHaveLength(3 * services.length + records);
        expect(parse(renderAlertRules(groups))).toEqual({ groups });
      }),
      { numRuns: 50 },
    );
  });

  it("puts every service's warning at its own renewal point, below it nothing", () => {
    fc.assert(
      fc.property(mesh, thresholds, (services, t) => {
        const groups = alertRuleGroups(services, configFor(services, t));
        for (const s of services) {
          const rule: Rule = alertFor(groups, "MeshCertificateRotationOverdue", s.name);
          expect(rule.expr.split("\n")[0]).toBe(
            `ssl_certificate_expiry_days{service="${s.name}"} < ${s.renewBeforeDays}`,
          );
        }
      }),
      { numRuns: 50 },
    );
  });

  it("never fires the overdue warning when rotation lands within the grace, fires when later", () => {
    fc.assert(
      fc.property(
        window.filter((w) => w.renewBeforeDays >= 3),
        fc.integer({ min: 1, max: 24 }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        ({ validityDays, renewBeforeDays }, graceHours, lagShare) => {
          const services = [{ name: "boards", validityDays, renewBeforeDays }];
          const config = parseAlertsConfig({
            criticalDaysBeforeExpiry: 1,
            rotationOverdueFor: `${graceHours}h`,
          });
          const groups = alertRuleGroups(services, config);
          const graceMs = graceHours * 3_600_000;

          expect(simulateOverdue(groups, validityDays, renewBeforeDays, graceMs * lagShare)).toBe(
            false,
          );
          expect(simulateOverdue(groups, validityDays, renewBeforeDays, graceMs + 600_000)).toBe(
            true,
          );
        },
      ),
      { numRuns: 50 },
    );
  });

  it("refuses any critical threshold that is not shorter than some renewal window", () => {
    fc.assert(
      fc.property(mesh, fc.double({ min: 1, max: 3, noNaN: true }), (services, factor) => {
        const shortest = Math.min(...services.map((s) => s.renewBeforeDays));
        const config = parseAlertsConfig({ criticalDaysBeforeExpiry: shortest * factor });

        expect(() => alertRuleGroups(services, config)).toThrow(
          /^mesh-pki:alerts\.criticalDaysBeforeExpiry \(.+\) is not shorter than the renewal window of service/,
        );
      }),
      { numRuns: 50 },
    );
  });
});
