/**
 * `promtool test rules` files built from the generated rules, so the expected annotations are the rules'
 * own templates filled in, and a change to a rule's text cannot leave a stale copy here. Times are
 * minutes from the start of each test group; series are sampled every minute and rules evaluated every
 * five (a pending time starts at the first evaluation that sees the condition, and an alert test at
 * minute m sees the evaluation at or before m), which keeps days of simulated time to seconds.
 */
import { stringify } from "yaml";
import type { AlertingRule, RuleGroup } from "../../components/alerts";

export const REFERENCE_SERVICES = ["gateway", "auth", "boards", "media", "search", "moderation"];
export const DAY_MINUTES = 1440;
export const EVALUATION_MINUTES = 5;
const PER_MINUTE = 1 / DAY_MINUTES; // days left fall by this much every minute

export interface InputSeries {
  series: string;
  values: string;
}

export interface ExpectedAlert {
  exp_labels: Record<string, string>;
  exp_annotations: Record<string, string>;
}

export interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: ExpectedAlert[];
}

export interface ExprTest {
  expr: string;
  eval_time: string;
  exp_samples: { labels: string; value: number }[];
}

export interface TestGroup {
  name: string;
  interval: string;
  input_series: InputSeries[];
  alert_rule_test?: AlertTest[];
  promql_expr_test?: ExprTest[];
}

export function renderTestFile(ruleFile: string, tests: TestGroup[]): string {
  return stringify(
    { rule_files: [ruleFile], evaluation_interval: `${EVALUATION_MINUTES}m`, tests },
    { lineWidth: 0 },
  );
}

export function minutes(m: number): string {
  return `${m}m`;
}

/** `ssl_certificate_expiry_days` of a service, labelled as a scrape would label it. */
export function expirySeries(service: string, values: string): InputSeries {
  return {
    series: `ssl_certificate_expiry_days{service="${service}", job="mesh", instance="${service}:9100"}`,
    values,
  };
}

/** Days left falling by one day per day for `count` minutes after the first sample. */
export function falling(start: number, count: number): string {
  return `${start}-${PER_MINUTE}x${count}`;
}

/** Days left a service reports `minute` minutes after it reported `start`. */
export function daysLeft(start: number, minute: number): number {
  return start - minute * PER_MINUTE;
}

export function steady(value: number, count: number): string {
  return `${value}x${count}`;
}

function expiryLabels(service: string): Record<string, string> {
  return { service, job: "mesh", instance: `${service}:9100` };
}

/** The one alerting rule with this name for this service. */
export function ruleFor(groups: RuleGroup[], alert: string, service?: string): AlertingRule {
  const found = groups
    .flatMap((g) => g.rules)
    .filter(
      (r): r is AlertingRule =>
        "alert" in r &&
        r.alert === alert &&
        (service === undefined || r.labels.service === service),
    );
  if (found.length !== 1) {
    throw new Error(`expected one ${alert} rule for ${service}, found ${found.length}`);
  }
  return found[0];
}

/**
 * Fills the templates the generator uses, as Prometheus would: `printf "%.1f"` and `printf "%.3g"`
 * of `$value`, and `$labels.<name>`. Any other template is an error, so a new one is noticed here.
 */
export function fill(template: string, labels: Record<string, string>, value: number): string {
  return template.replace(/\{\{(.*?)\}\}/g, (_, inner: string) => {
    const action = inner.trim();
    if (action === 'printf "%.1f" $value') {
      return value.toFixed(1);
    }
    if (action === 'printf "%.3g" $value') {
      return String(Number(value.toPrecision(3)));
    }
    const label = /^\$labels\.(\w+)$/.exec(action);
    if (label !== null && label[1] in labels) {
      return labels[label[1]];
    }
    throw new Error(`no stand-in for the template {{${inner}}}`);
  });
}

/** The alert a rule raises for a series with `seriesLabels` at `value`, as promtool reports it. */
export function firing(
  rule: AlertingRule,
  seriesLabels: Record<string, string>,
  value: number,
): ExpectedAlert {
  const labels = { ...seriesLabels, ...rule.labels };
  return {
    exp_labels: labels,
    exp_annotations: {
      summary: fill(rule.annotations.summary, labels, value),
      description: fill(rule.annotations.description, labels, value),
    },
  };
}

/** Test groups for the reference mesh's rules, where the PKI's not-after is far in the future. */
export function referenceTests(groups: RuleGroup[]): TestGroup[] {
  const overdue = (service: string) => ruleFor(groups, "MeshCertificateRotationOverdue", service);
  const critical = ruleFor(groups, "MeshCertificateExpiryCritical", "boards");
  const absent = ruleFor(groups, "MeshCertificateExpiryMetricAbsent", "media");
  const handshakes = ruleFor(groups, "MeshMtlsHandshakeFailureRate");
  const alertsAt = (alertname: string, minute: number, exp_alerts: ExpectedAlert[]): AlertTest => ({
    eval_time: minutes(minute),
    alertname,
    exp_alerts,
  });

  // Healthy: 32 days 6 hours left at minute 0, so a threshold above the renewal point would be pending
  // for days before it; renewal point (30 days) at minute 3240, rotated one day later.
  const healthyStart = 32.25;
  const healthyPoint = 3240;
  const rotatedAt = healthyPoint + DAY_MINUTES;
  // Late: 30 days 6 hours left at minute 0, renewal point at minute 360, rotated three days later.
  const lateStart = 30.25;
  const latePoint = 360;
  const lateRotation = latePoint + 3 * DAY_MINUTES;
  const grace = 2 * DAY_MINUTES;

  return [
    {
      name: "overdue warning stays silent through a healthy renewal",
      interval: "1m",
      input_series: [
        expirySeries(
          "gateway",
          `${falling(healthyStart, rotatedAt - 1)} ${falling(365, 5 * DAY_MINUTES - rotatedAt)}`,
        ),
      ],
      alert_rule_test: [
        healthyPoint - 60,
        healthyPoint + 60,
        rotatedAt - EVALUATION_MINUTES,
        rotatedAt + 60,
        healthyPoint + grace + 60,
      ]
        .map((m) => alertsAt("MeshCertificateRotationOverdue", m, []))
        .concat([alertsAt("MeshCertificateExpiryCritical", rotatedAt - EVALUATION_MINUTES, [])]),
    },
    {
      name: "overdue warning fires once rotation is late, and clears after it",
      interval: "1m",
      input_series: [
        expirySeries(
          "auth",
          `${falling(lateStart, lateRotation - 1)} ${falling(365, 4 * DAY_MINUTES - lateRotation)}`,
        ),
      ],
      alert_rule_test: [
        alertsAt("MeshCertificateRotationOverdue", latePoint + grace - 60, []),
        alertsAt("MeshCertificateRotationOverdue", latePoint + grace + 120, [
          firing(
            overdue("auth"),
            expiryLabels("auth"),
            daysLeft(lateStart, latePoint + grace + 120),
          ),
        ]),
        alertsAt("MeshCertificateRotationOverdue", lateRotation - EVALUATION_MINUTES, [
          firing(
            overdue("auth"),
            expiryLabels("auth"),
            daysLeft(lateStart, lateRotation - EVALUATION_MINUTES),
          ),
        ]),
        alertsAt("MeshCertificateRotationOverdue", lateRotation + 60, []),
      ],
    },
    {
      // 7 days 6 hours left at minute 0: below 7 days from minute 360, firing 15 minutes later.
      name: "critical alert fires at the threshold after its pending time",
      interval: "1m",
      input_series: [expirySeries("boards", falling(7.25, 600))],
      alert_rule_test: [
        alertsAt("MeshCertificateExpiryCritical", 359, []),
        alertsAt("MeshCertificateExpiryCritical", 370, []),
        alertsAt("MeshCertificateExpiryCritical", 380, [
          firing(critical, expiryLabels("boards"), daysLeft(7.25, 380)),
        ]),
        alertsAt("MeshCertificateExpiryCritical", 500, [
          firing(critical, expiryLabels("boards"), daysLeft(7.25, 500)),
        ]),
      ],
    },
    {
      // media stops at minute 60 (a staleness marker, as when its target disappears).
      name: "absent-metric alert fires when a service stops reporting",
      interval: "1m",
      input_series: REFERENCE_SERVICES.map((service) =>
        expirySeries(service, service === "media" ? `${steady(200, 60)} stale` : steady(200, 120)),
      ),
      alert_rule_test: [
        alertsAt("MeshCertificateExpiryMetricAbsent", 30, []),
        alertsAt("MeshCertificateExpiryMetricAbsent", 70, []),
        alertsAt("MeshCertificateExpiryMetricAbsent", 80, [
          firing(absent, { service: "media" }, 1),
        ]),
      ],
    },
    {
      // Per minute: gateway's two instances 3.6 failures each (0.12/s together), auth 5.4 (0.09/s),
      // billing (not in the mesh) 60.
      name: "handshake failure alert fires above the rate and not below",
      interval: "1m",
      input_series: [
        { series: failures("gateway", "gateway-1"), values: "0+3.6x30" },
        { series: failures("gateway", "gateway-2"), values: "0+3.6x30" },
        { series: failures("auth", "auth-1"), values: "0+5.4x30" },
        { series: failures("billing", "billing-1"), values: "0+60x30" },
      ],
      alert_rule_test: [
        alertsAt("MeshMtlsHandshakeFailureRate", 3, []),
        alertsAt("MeshMtlsHandshakeFailureRate", 15, [
          firing(handshakes, { service: "gateway" }, 0.12),
        ]),
        alertsAt("MeshMtlsHandshakeFailureRate", 30, [
          firing(handshakes, { service: "gateway" }, 0.12),
        ]),
      ],
    },
  ];
}

function failures(service: string, instance: string): string {
  return `mtls_handshake_failures_total{service="${service}", instance="${instance}"}`;
}

/** The PKI's not-after of `search` and `moderation` in the fallback rules, in seconds from 0. */
export const FALLBACK_NOT_AFTER = { search: 31 * 86_400, moderation: 7 * 86_400 + 3_600 };

/**
 * Test groups for rules where the PKI says `search` expires in 31 days and `moderation` in 7 days
 * 1 hour (from time 0): the expiry alerts follow the PKI while a service reports nothing.
 */
export function fallbackTests(groups: RuleGroup[]): TestGroup[] {
  const overdue = ruleFor(groups, "MeshCertificateRotationOverdue", "search");
  const critical = ruleFor(groups, "MeshCertificateExpiryCritical", "moderation");
  const span = 3 * DAY_MINUTES + 180;
  const reporting = (except?: string) =>
    REFERENCE_SERVICES.filter((s) => s !== except).map((s) => expirySeries(s, steady(200, span)));
  const pki = (service: string) => ({ service, expiry_source: "pki" });
  const pkiDays = (seconds: number, minute: number) => (seconds - minute * 60) / 86_400;

  // search's PKI days fall below 30 at minute 1440; the warning fires two days later.
  const searchBelow = DAY_MINUTES;
  return [
    {
      name: "PKI not-after is recorded, and drives the overdue warning while search is silent",
      interval: "1m",
      input_series: reporting("search"),
      promql_expr_test: [
        {
          expr: 'mesh_pki_certificate_not_after_timestamp_seconds{service=~"search|moderation"}',
          eval_time: "1m",
          exp_samples: [
            {
              labels: 'mesh_pki_certificate_not_after_timestamp_seconds{service="search"}',
              value: FALLBACK_NOT_AFTER.search,
            },
            {
              labels: 'mesh_pki_certificate_not_after_timestamp_seconds{service="moderation"}',
              value: FALLBACK_NOT_AFTER.moderation,
            },
          ],
        },
      ],
      alert_rule_test: [
        {
          eval_time: minutes(searchBelow + 2 * DAY_MINUTES - 60),
          alertname: "MeshCertificateRotationOverdue",
          exp_alerts: [],
        },
        {
          eval_time: minutes(searchBelow + 2 * DAY_MINUTES + 60),
          alertname: "MeshCertificateRotationOverdue",
          exp_alerts: [
            firing(
              overdue,
              pki("search"),
              pkiDays(FALLBACK_NOT_AFTER.search, searchBelow + 2 * DAY_MINUTES + 60),
            ),
          ],
        },
      ],
    },
    {
      // moderation's PKI days fall below 7 at minute 60; critical fires 15 minutes later.
      name: "PKI not-after drives the critical alert while moderation is silent",
      interval: "1m",
      input_series: reporting("moderation"),
      alert_rule_test: [
        { eval_time: "59m", alertname: "MeshCertificateExpiryCritical", exp_alerts: [] },
        { eval_time: "70m", alertname: "MeshCertificateExpiryCritical", exp_alerts: [] },
        {
          eval_time: "80m",
          alertname: "MeshCertificateExpiryCritical",
          exp_alerts: [
            firing(critical, pki("moderation"), pkiDays(FALLBACK_NOT_AFTER.moderation, 80)),
          ],
        },
      ],
    },
    {
      name: "a service's own metric overrides the PKI's not-after",
      interval: "1m",
      input_series: reporting(),
      alert_rule_test: [
        {
          eval_time: minutes(span),
          alertname: "MeshCertificateRotationOverdue",
          exp_alerts: [],
        },
        { eval_time: "80m", alertname: "MeshCertificateExpiryCritical", exp_alerts: [] },
      ],
    },
  ];
}
