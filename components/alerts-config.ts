/**
 * The `mesh-pki:alerts` config section: thresholds and durations of the Prometheus alert rules. The
 * thresholds that must follow the rotation schedule (the renewal point of each certificate) are not here:
 * they come from the services' windows, so the two cannot drift apart. Pure zod, no Pulumi.
 */
import { z } from "zod";

/** Where this section lives in stack config; every error message starts with a path under it. */
export const ALERTS_CONFIG_PATH = "mesh-pki:alerts";

// Prometheus durations: units in this order, each at most once, e.g. "90s", "1h30m", "2d".
const DURATION_PATTERN =
  /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_UNIT_MS = [
  365 * 86_400_000,
  7 * 86_400_000,
  86_400_000,
  3_600_000,
  60_000,
  1_000,
  1,
] as const;

/** Milliseconds of a Prometheus duration such as "1h30m"; undefined when it is not one. */
export function durationMs(duration: string): number | undefined {
  const match = DURATION_PATTERN.exec(duration);
  if (match === null || duration === "") {
    return undefined;
  }
  return DURATION_UNIT_MS.reduce(
    (total, unit, i) => total + (match[i + 1] === undefined ? 0 : Number(match[i + 1]) * unit),
    0,
  );
}

function duration(what: string) {
  return z
    .string({ error: `must be a Prometheus duration such as "15m" or "2d" (${what})` })
    .superRefine((value, ctx) => {
      const ms = durationMs(value);
      if (ms === undefined) {
        ctx.addIssue({
          code: "custom",
          message: `"${value}" is not a Prometheus duration; write it as "30s", "15m", "1h30m" or "2d" (${what})`,
        });
      } else if (ms <= 0) {
        ctx.addIssue({
          code: "custom",
          message: `"${value}" is not longer than zero; set a positive duration (${what})`,
        });
      }
    });
}

// `pulumi config set --path` stores most values as strings; a numeric string is the number it spells.
const NUMERIC_STRING = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

function shown(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function number(what: string) {
  return z.preprocess(
    (value) => (typeof value === "string" && NUMERIC_STRING.test(value) ? Number(value) : value),
    z
      .number({
        error: (issue) => `must be a number, not ${shown(issue.input)} (${what})`,
      })
      .refine(Number.isFinite, {
        error: `must be a finite number (${what})`,
      }),
  );
}

export const alertsConfigSchema = z
  .strictObject(
    {
      /**
       * Days before expiry at which `MeshCertificateExpiryCritical` fires. Must be shorter than every
       * service's renew-before window, or the critical alert would fire during a healthy renewal.
       * @default 7
       */
      criticalDaysBeforeExpiry: number("days before expiry for the critical alert")
        .refine((days) => days > 0, {
          error:
            "must be more than 0 days; the critical alert has to fire before the certificate expires",
        })
        .default(7),

      /**
       * How long a certificate may stay past its renewal point before `MeshCertificateRotationOverdue`
       * fires: the longest healthy gap between the renewal point and the new certificate being served
       * (the interval of scheduled `pulumi up` runs plus the rollout).
       * @default "2d"
       */
      rotationOverdueFor: duration("grace after the renewal point").default("2d"),

      /**
       * How long the remaining days must stay below the critical threshold before the alert fires.
       * @default "15m"
       */
      criticalFor: duration("pending time of the critical expiry alert").default("15m"),

      /**
       * How long a service's `ssl_certificate_expiry_days` may be absent before
       * `MeshCertificateExpiryMetricAbsent` fires; longer than a container replacement on rotation.
       * @default "15m"
       */
      expiryMetricAbsentFor: duration("how long the expiry metric may be missing").default("15m"),

      /**
       * Handshake failures per second, summed over a service's instances, above which
       * `MeshMtlsHandshakeFailureRate` fires. 0 alerts on any failure.
       * @default 0.1
       */
      handshakeFailureRatePerSecond: number("handshake failures per second")
        .refine((rate) => rate >= 0, {
          error: "must not be negative; set 0 to alert on any failure, or a rate such as 0.1",
        })
        .default(0.1),

      /**
       * The range window of `rate(mtls_handshake_failures_total[...])`; at least four scrape intervals.
       * @default "5m"
       */
      handshakeFailureRateWindow: duration("range window of the handshake failure rate").default(
        "5m",
      ),

      /**
       * How long the handshake failure rate must stay above the threshold before the alert fires.
       * @default "5m"
       */
      handshakeFailureFor: duration("pending time of the handshake failure alert").default("5m"),
    },
    { error: "must be an object of alert settings, e.g. { criticalDaysBeforeExpiry: 7 }" },
  )
  .prefault({});

/** The `mesh-pki:alerts` section after defaults. */
export type AlertsConfig = z.output<typeof alertsConfigSchema>;

/** The section as written in stack config, every key optional. */
export type AlertsConfigInput = z.input<typeof alertsConfigSchema>;

/**
 * Parses the `mesh-pki:alerts` section on its own (the stack config schema parses it as part of the
 * whole); throws one Error that lists every problem with its config path.
 */
export function parseAlertsConfig(raw: unknown): AlertsConfig {
  const result = alertsConfigSchema.safeParse(raw);
  if (result.success) {
    return result.data;
  }
  const problems = result.error.issues.flatMap((issue) => {
    const path = [ALERTS_CONFIG_PATH, ...issue.path.map(String)].join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map(
        (key) =>
          `${path}.${key}: unknown key; the keys are ${Object.keys(alertsConfigSchema.unwrap().shape).join(", ")}`,
      );
    }
    return [`${path}: ${issue.message}`];
  });
  throw new Error(`invalid alert config:\n  ${problems.join("\n  ")}`);
}
