// Property values as the engine sends them to a provider built on @pulumi/pulumi's provider API: plain
// JSON, except that a secret arrives as an object tagged with the secret signature, a value not yet known
// during a preview as a sentinel string, and (when outputs are accepted) an output value as a tagged object.

const sigKey = "4dabf18193072939515e22adb298388d";
const secretSig = "1b47061264138c4ac30d75fd1eb44270";
const outputValueSig = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

/** The sentinel the engine uses for a value that is not known until the update runs. */
export const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Marks a value not yet known; {@link unwrap} turns the sentinel (at any depth) into this. */
export const Unknown: unique symbol = Symbol("unknown");

export type Plain = unknown;

export interface Unwrapped {
  /** The value with secret and output markers removed and unknowns replaced by {@link Unknown}. */
  readonly value: Plain;
  /** Whether the value, or anything inside it, was marked secret. */
  readonly secret: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function unwrap(wire: unknown): Unwrapped {
  if (wire === unknownValue) return { value: Unknown, secret: false };
  if (Array.isArray(wire)) {
    const items = wire.map(unwrap);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (!isRecord(wire)) return { value: wire, secret: false };

  if (wire[sigKey] === secretSig) {
    return { value: unwrap(wire.value).value, secret: true };
  }
  if (wire[sigKey] === outputValueSig) {
    const inner = "value" in wire ? unwrap(wire.value) : { value: Unknown, secret: false };
    return { value: inner.value, secret: inner.secret || wire.secret === true };
  }

  const out: Record<string, unknown> = {};
  let secret = false;
  for (const [key, item] of Object.entries(wire)) {
    const u = unwrap(item);
    out[key] = u.value;
    secret ||= u.secret;
  }
  return { value: out, secret };
}

/** Unwraps each top-level property and records which of them were secret. */
export function unwrapProperties(wire: unknown): {
  values: Record<string, Plain>;
  secretKeys: Set<string>;
} {
  const values: Record<string, Plain> = {};
  const secretKeys = new Set<string>();
  if (!isRecord(wire)) return { values, secretKeys };
  for (const [key, item] of Object.entries(wire)) {
    const u = unwrap(item);
    values[key] = u.value;
    if (u.secret) secretKeys.add(key);
  }
  return { values, secretKeys };
}

export function secret(value: unknown): Record<string, unknown> {
  return { [sigKey]: secretSig, value };
}

/** Marks the named top-level properties secret; properties left undefined are dropped. */
export function withSecrets(
  values: Record<string, unknown>,
  secretKeys: Iterable<string>,
): Record<string, unknown> {
  const keys = new Set(secretKeys);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    out[key] = keys.has(key) ? secret(value) : value;
  }
  return out;
}

export function containsUnknown(value: unknown): boolean {
  if (value === Unknown) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (isRecord(value)) return Object.values(value).some(containsUnknown);
  return false;
}
