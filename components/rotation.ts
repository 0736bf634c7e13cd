/**
 * Rotation as a pure function of the clock: a certificate's windows (validity, renew-before), a fixed
 * anchor instant, a per-service stagger and forced-rotation counters yield a generation. The key and the
 * certificate are replaced together when the generation changes. Pure: no Pulumi.
 *
 * The boundaries of generation g are `anchor + stagger + g * period`, with period = validity minus
 * renew-before. A certificate issued in generation g is issued at or after its start, so the next
 * boundary comes no later than the provider's own renewal point (issue time + period): the program
 * always rotates first or together with the provider, and a certificate is never older than the period
 * plus the interval between runs.
 */
import { createHash } from "node:crypto";
import { LEAF_MAX_VALIDITY_DAYS, HOURS_PER_DAY, renewalProblem } from "../rules/tls";
import { CertificateWindows } from "./windows";

/** Default anchor: a fixed instant, so every stack computes the same generations from the same clock. */
export const DEFAULT_ROTATION_ANCHOR = "2026-01-01T00:00:00Z";

/** The variable that sets the program's clock for a preview. */
export const AS_OF_VARIABLE = "MESH_PKI_AS_OF";

export const MS_PER_HOUR = 3_600_000;

export interface RotationInput {
  /** The program's clock. */
  now: Date;
  /** The instant generation 0 of an unstaggered certificate starts. */
  anchor: Date;
  validityHours: number;
  renewBeforeHours: number;
  /** Forced rotations so far (mesh-wide plus the service's own); each one adds a generation. */
  forced: number;
  /** How far this certificate's boundaries are moved after the anchor. @default 0 */
  staggerHours?: number;
}

export interface RotationPoint {
  /** Changes exactly when the key and the certificate must be replaced. */
  generation: number;
  /** Validity minus renew-before: the time between two scheduled rotations. */
  periodHours: number;
  /** Start of the current scheduled generation. */
  since: Date;
  /** The next scheduled boundary: when the program rotates next. */
  renewAt: Date;
  /** When a certificate issued at `since` expires; the latest expiry of one issued in this generation. */
  notAfter: Date;
}

/** The generation of a certificate at `now`, with the instants around it. */
export function rotationGeneration(input: RotationInput): RotationPoint {
  const { validityHours, renewBeforeHours, forced } = input;
  const problem = renewalProblem(validityHours, renewBeforeHours, 0);
  if (problem !== undefined) throw new RangeError(problem);
  if (!Number.isInteger(forced) || forced < 0) {
    throw new RangeError(`forced must be a whole number 0 or more, got ${forced}`);
  }

  const periodHours = validityHours - renewBeforeHours;
  const periodMs = periodHours * MS_PER_HOUR;
  // Whole milliseconds, so every boundary is an instant a Date can hold exactly.
  const start = input.anchor.getTime() + Math.round((input.staggerHours ?? 0) * MS_PER_HOUR);
  const scheduled = Math.floor((input.now.getTime() - start) / periodMs);
  const since = start + scheduled * periodMs;
  return {
    generation: scheduled + forced,
    periodHours,
    since: new Date(since),
    renewAt: new Date(since + periodMs),
    notAfter: new Date(since + validityHours * MS_PER_HOUR),
  };
}

/**
 * A deterministic stagger for a service: a share of the period taken from a hash of its name, in whole
 * minutes, so a mesh issued together does not rotate in the same minute and every stack agrees.
 */
export function serviceStaggerHours(serviceName: string, periodHours: number): number {
  const share = createHash("sha256").update(serviceName).digest().readUInt32BE(0) / 2 ** 32;
  return Math.floor(share * periodHours * 60) / 60;
}

/**
 * The tls provider's windows from hours, checked: whole hours (the provider takes integers), under the
 * ceiling, renew-before above zero and shorter than the validity.
 */
export function hourWindows(
  where: string,
  validityHours: number,
  renewBeforeHours: number,
  ceilingDays = LEAF_MAX_VALIDITY_DAYS,
): CertificateWindows {
  for (const [field, value] of [
    ["validityHours", validityHours],
    ["renewBeforeHours", renewBeforeHours],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`${where}: ${field} must be a whole number of hours >= 1, got ${value}`);
    }
  }
  if (validityHours > ceilingDays * HOURS_PER_DAY) {
    throw new Error(
      `${where}: validityHours ${validityHours} is above the ${ceilingDays}-day ceiling; set ${ceilingDays * HOURS_PER_DAY} or less`,
    );
  }
  if (renewBeforeHours >= validityHours) {
    throw new Error(
      `${where}: renewBeforeHours (${renewBeforeHours}) must be shorter than validityHours (${validityHours})`,
    );
  }
  return {
    validityPeriodHours: validityHours,
    earlyRenewalHours: renewBeforeHours,
    renewAfterHours: validityHours - renewBeforeHours,
  };
}

const ISO_INSTANT =
  /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** An ISO 8601 date or instant (a date alone is midnight UTC); undefined when it is not one. */
export function parseInstant(text: string): Date | undefined {
  const value = text.trim();
  if (!ISO_INSTANT.test(value)) return undefined;
  // Date.parse rolls 2026-02-30 over to March; a calendar date must name a real day.
  const [y, m, d] = value.slice(0, 10).split("-").map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

export interface RotationClock {
  now: Date;
  /** The MESH_PKI_AS_OF value, when it set the clock. */
  asOf?: string;
}

/**
 * The program's clock: the real one, or MESH_PKI_AS_OF for a preview. Throws a sentence naming the
 * variable when its value is not a date, or when it is set for a run that changes resources (a rotation
 * applied ahead of time would be undone by the next run on the real clock).
 */
export function rotationClock(
  env: Record<string, string | undefined>,
  isPreview: boolean,
  realNow: Date = new Date(),
): RotationClock {
  const raw = env[AS_OF_VARIABLE];
  if (raw === undefined || raw.trim() === "") return { now: realNow };
  const asOf = parseInstant(raw);
  if (asOf === undefined) {
    throw new Error(
      `${AS_OF_VARIABLE}=${JSON.stringify(raw)} is not an ISO 8601 date; set e.g. ${AS_OF_VARIABLE}=2026-06-30 or 2026-06-30T12:00:00Z, or unset it to use the real clock`,
    );
  }
  if (!isPreview) {
    throw new Error(
      `${AS_OF_VARIABLE} is set (${raw}) for a run that changes resources; it only plans previews, unset it for pulumi up`,
    );
  }
  return { now: asOf, asOf: raw };
}
