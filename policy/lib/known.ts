/**
 * Reading resource properties that may be unknown during preview.
 *
 * The engine sends a value it cannot know yet (an output of a resource not created yet) as a sentinel,
 * and @pulumi/policy wraps the properties in a proxy that throws `UnknownValueError` when a policy reads
 * one. Left alone, that error ends the whole policy at its first unknown read and the SDK reports a
 * generic advisory. Instead the pack copies the properties into plain data once, with each unknown value
 * replaced by an `Unknown` that names its path, so a policy checks everything it can and says precisely
 * what it could not check.
 */
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";

// The SDK exports these at run time but its published typings leave them out.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = require("@pulumi/policy") as {
  UnknownValueError: new (sentinel: string, path: string[]) => Error;
  unknownCheckingProxy<T extends object>(props: T): T;
};

/** The sentinels the engine uses for unknown values, by the type the value would have had. */
const SENTINELS = new Set([
  unknownValue,
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/** A value that the engine could not know when the policy ran (during preview). */
export class Unknown {
  constructor(readonly path: string) {}
}

export function isUnknown(value: unknown): value is Unknown {
  return value instanceof Unknown;
}

/** Plain data as policies see it: JSON-like values where any part may be `Unknown`. */
export type Plain = Record<string, unknown>;

/**
 * Copies resource properties into plain data, replacing each unknown value with an `Unknown`.
 * Accepts the SDK's proxy or raw properties (the sentinels are recognised either way).
 */
export function plain(props: object): Plain {
  return copy(sdk.unknownCheckingProxy(props), "") as Plain;
}

function copy(value: unknown, path: string): unknown {
  if (typeof value === "string" && SENTINELS.has(value)) {
    return new Unknown(path);
  }
  if (Array.isArray(value)) {
    return Array.from({ length: value.length }, (_, i) => read(value, i, `${path}[${i}]`));
  }
  if (value !== null && typeof value === "object") {
    const out: Plain = {};
    for (const key of Object.keys(value)) {
      out[key] = read(value as Record<string, unknown>, key, path === "" ? key : `${path}.${key}`);
    }
    return out;
  }
  return value;
}

function read(container: object, key: string | number, path: string): unknown {
  try {
    return copy((container as Record<string | number, unknown>)[key], path);
  } catch (e) {
    if (e instanceof sdk.UnknownValueError) {
      return new Unknown(path);
    }
    throw e;
  }
}

/**
 * The error a policy throws after it has checked what it could, naming what it could not. The SDK turns
 * an `UnknownValueError` into an advisory diagnostic ("can't run policy ... during preview: <message>"),
 * so a value unknown during preview is reported as not checked and never fails or passes the preview.
 */
export class NotCheckedError extends sdk.UnknownValueError {
  constructor(readonly notChecked: string[]) {
    super(unknownValue, []);
    this.name = "NotCheckedError";
    this.message = `not checked during preview: ${notChecked.join("; ")}; \`pulumi up\` checks again once the values are known`;
  }
}

export function unknownCheckingProxy<T extends object>(props: T): T {
  return sdk.unknownCheckingProxy(props);
}

/** Whether an error is the SDK's signal that a value could not be known during preview. */
export function isUnknownValueError(e: unknown): e is Error {
  return e instanceof sdk.UnknownValueError;
}

/** A string value, absent, or unknown; anything else of the wrong type counts as absent. */
export function str(value: unknown): string | undefined | Unknown {
  return typeof value === "string" || isUnknown(value) ? value : undefined;
}

export function num(value: unknown): number | undefined | Unknown {
  return typeof value === "number" || isUnknown(value) ? value : undefined;
}

export function bool(value: unknown): boolean | undefined | Unknown {
  return typeof value === "boolean" || isUnknown(value) ? value : undefined;
}

export function list(value: unknown): unknown[] | undefined | Unknown {
  return Array.isArray(value) || isUnknown(value) ? value : undefined;
}

export function obj(value: unknown): Plain | undefined | Unknown {
  return (value !== null && typeof value === "object" && !Array.isArray(value)) || isUnknown(value)
    ? (value as Plain | Unknown)
    : undefined;
}

/** Follows a path of object keys; stops at the first absent or unknown step. */
export function at(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (isUnknown(current) || current === null || typeof current !== "object") {
      return isUnknown(current) ? current : undefined;
    }
    current = (current as Plain)[key];
  }
  return current;
}
