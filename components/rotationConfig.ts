/**
 * The `mesh-pki:rotation` config section and the per-service rotation keys: the anchor instant, stagger,
 * whether keys rotate with their certificates, forced-rotation counters and the phase of a CA rotation.
 * Pure zod, no Pulumi.
 */
import { z } from "zod";
import { HOURS_PER_DAY, LEAF_MAX_VALIDITY_DAYS } from "../rules/tls";
import { DEFAULT_ROTATION_ANCHOR, parseInstant } from "./rotation";

/** A forced-rotation counter: bumping it by one rotates once. */
const counter = z
  .number({ error: "expected a whole number such as 1" })
  .int({ error: "expected a whole number such as 1" })
  .min(0, {
    error: (issue) =>
      `${String(issue.input)} is negative; a rotation counter starts at 0 and only goes up, set 0 or more`,
  });

/** Whole hours of a service certificate's window, for windows shorter than days. */
export const leafHours = z
  .number({ error: "expected a whole number of hours" })
  .int({ error: "expected a whole number of hours (the tls provider takes whole hours)" })
  .min(1, { error: "must be at least 1 hour" })
  .max(LEAF_MAX_VALIDITY_DAYS * HOURS_PER_DAY, {
    error: (issue) =>
      `${String(issue.input)} hours is above the ${LEAF_MAX_VALIDITY_DAYS}-day ceiling for a service certificate; set ${LEAF_MAX_VALIDITY_DAYS * HOURS_PER_DAY} or less`,
  });

function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")}; the known keys here are: ${known}`
        : undefined,
  });
}

/** `services.<name>.rotation`: one service's own rotation settings. */
export const serviceRotationSchema = strict({
  /** Bump to rotate this service's key and certificate now. @default 0 */
  forced: counter.default(0),
  /**
   * Hours after the mesh's boundaries at which this service rotates; overrides the hash-derived
   * stagger. @default from `rotation.stagger`
   */
  staggerHours: z
    .number({ error: "expected a number of hours" })
    .min(0, { error: "must be 0 or more hours" })
    .optional(),
  /** Keep this service's key across rotations (false) or not. @default `rotation.rotateKeys` */
  rotateKeys: z.boolean({ error: "expected true or false" }).optional(),
});

/** `rotation.ca`: which CA generation is current and how far a rotation to the next has gone. */
export const caRotationSchema = strict({
  /** The current CA generation; 0 is the first CA (`mesh-ca`), g is `mesh-ca-g<g>`. @default 0 */
  generation: counter.default(0),
  /**
   * 0: one CA. 1: the next CA exists and the trust bundle holds both. 2: services are reissued by the
   * next CA, the bundle still holds both. 3: the old CA leaves the bundle and is deleted; then set
   * `generation` one higher and `phase` back to 0 (nothing changes).
   * @default 0
   */
  phase: z
    .union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)], {
      error: (issue) =>
        `unknown CA rotation phase ${JSON.stringify(issue.input)}; use 0 (one CA), 1 (next CA trusted), 2 (services reissued by it) or 3 (old CA removed)`,
    })
    .default(0),
});

export const rotationConfigSchema = strict({
  /** The instant the generations count from; keep it fixed per stack. @default "2026-01-01T00:00:00Z" */
  anchor: z
    .string({ error: "expected an ISO 8601 instant such as 2026-01-01T00:00:00Z" })
    .refine((v) => parseInstant(v) !== undefined, {
      error: "is not an ISO 8601 date or instant; set e.g. 2026-01-01T00:00:00Z",
    })
    .default(DEFAULT_ROTATION_ANCHOR),
  /** Spread each service's boundaries over its period by a hash of its name. @default true */
  stagger: z.boolean({ error: "expected true or false" }).default(true),
  /** Replace keys together with certificates; false keeps each key. @default true */
  rotateKeys: z.boolean({ error: "expected true or false" }).default(true),
  /** Bump to rotate every service's key and certificate now. @default 0 */
  forced: counter.default(0),
  ca: caRotationSchema.prefault({}),
}).prefault({});

export type RotationConfig = z.output<typeof rotationConfigSchema>;
export type ServiceRotationConfig = z.output<typeof serviceRotationSchema>;
