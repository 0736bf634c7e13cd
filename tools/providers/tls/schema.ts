// The inputs of each resource as the official provider declares them (names from the @pulumi/tls SDK,
// defaults, validators and replacement from terraform-provider-tls's schemas), and the generic check and
// diff that follow from those declarations.

import { containsUnknown, Unknown } from "./values";

export type Kind = "string" | "integer" | "boolean" | "stringList" | "subject";

export interface FieldSpec {
  readonly kind: Kind;
  readonly required?: boolean;
  readonly default?: unknown;
  /** False only where upstream updates in place (early_renewal_hours); everything else replaces. */
  readonly replaceOnChange: boolean;
  /** Kept secret in state whatever the program passed. */
  readonly sensitive?: boolean;
  readonly oneOf?: readonly string[];
  readonly atLeast?: number;
}

export interface ResourceSchema {
  readonly token: string;
  readonly inputs: Readonly<Record<string, FieldSpec>>;
  /** Inputs of the official package that the stand-in does not implement, with the reason. */
  readonly refused: Readonly<Record<string, string>>;
}

export interface Failure {
  readonly property: string;
  readonly reason: string;
}

/** The subject block, as the SDK names its fields. */
export const subjectFields = {
  commonName: "string",
  country: "string",
  emailAddress: "string",
  locality: "string",
  organization: "string",
  organizationalUnit: "string",
  postalCode: "string",
  province: "string",
  serialNumber: "string",
  streetAddresses: "stringList",
} as const;

export type Subject = {
  -readonly [K in keyof typeof subjectFields]?: K extends "streetAddresses" ? string[] : string;
};

const writeOnlyReason =
  "write-only private keys are not implemented by the mesh-pki tls stand-in; pass the key in the " +
  "non-write-only input instead";

/** The write-only key inputs that @pulumi/tls 5.6.1 declares; the stand-in refuses them. */
export function writeOnlyRefusals(...names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, writeOnlyReason]));
}

function typeError(kind: Kind, value: unknown): string | undefined {
  if (value === Unknown || value === undefined || value === null) return undefined;
  switch (kind) {
    case "string":
      return typeof value === "string" ? undefined : "must be a string";
    case "integer":
      return Number.isInteger(value) ? undefined : "must be an integer";
    case "boolean":
      return typeof value === "boolean" ? undefined : "must be a boolean";
    case "stringList":
      return Array.isArray(value) && value.every((v) => v === Unknown || typeof v === "string")
        ? undefined
        : "must be a list of strings";
    case "subject":
      return typeof value === "object" && !Array.isArray(value) ? undefined : "must be an object";
  }
}

function checkSubject(property: string, value: Record<string, unknown>): Failure[] {
  const failures: Failure[] = [];
  for (const [key, item] of Object.entries(value)) {
    const kind = (subjectFields as Record<string, Kind>)[key];
    if (!kind) {
      failures.push({
        property: `${property}.${key}`,
        reason: `'${key}' is not a field of the subject; the fields are ${Object.keys(subjectFields).join(", ")}`,
      });
      continue;
    }
    const error = typeError(kind, item);
    if (error) failures.push({ property: `${property}.${key}`, reason: error });
  }
  return failures;
}

/** Checks the new inputs against the schema; values unknown during a preview are checked later. */
export function checkInputs(schema: ResourceSchema, news: Record<string, unknown>): Failure[] {
  const failures: Failure[] = [];
  const known = Object.keys(schema.inputs);

  for (const [key, value] of Object.entries(news)) {
    if (value === undefined || value === null) continue;
    if (schema.refused[key]) {
      failures.push({ property: key, reason: `${key} is refused: ${schema.refused[key]}` });
      continue;
    }
    const spec = schema.inputs[key];
    if (!spec) {
      failures.push({
        property: key,
        reason: `'${key}' is not an input of ${schema.token} that the mesh-pki tls stand-in implements; its inputs are ${known.join(", ")}`,
      });
      continue;
    }
    const error = typeError(spec.kind, value);
    if (error) {
      failures.push({ property: key, reason: `${key} ${error}` });
      continue;
    }
    if (spec.kind === "subject" && value !== Unknown) {
      failures.push(...checkSubject(key, value as Record<string, unknown>));
    }
    if (spec.atLeast !== undefined && typeof value === "number" && value < spec.atLeast) {
      failures.push({
        property: key,
        reason: `${key} must be at least ${spec.atLeast}, got ${value}`,
      });
    }
    if (spec.oneOf) {
      const items = spec.kind === "stringList" && Array.isArray(value) ? value : [value];
      for (const item of items) {
        if (typeof item === "string" && !spec.oneOf.includes(item)) {
          failures.push({
            property: key,
            reason: `${key} value "${item}" must be one of: ${spec.oneOf.join(", ")}`,
          });
        }
      }
    }
  }

  for (const [key, spec] of Object.entries(schema.inputs)) {
    if (spec.required && (news[key] === undefined || news[key] === null)) {
      failures.push({ property: key, reason: `${key} is required` });
    }
  }
  return failures;
}

/** The effective value of an input: its default where unset; empty lists and objects count as unset. */
export function effective(spec: FieldSpec, value: unknown): unknown {
  if (value === undefined || value === null) return spec.default;
  if (Array.isArray(value) && value.length === 0) return spec.default;
  if (spec.kind === "subject" && value !== Unknown) {
    const entries = Object.entries(value as Record<string, unknown>).filter(
      ([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0),
    );
    return entries.length === 0
      ? undefined
      : Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
  }
  return value;
}

export interface InputDiff {
  readonly changed: string[];
  readonly replaces: string[];
}

/** Which inputs differ between the state and the new inputs, and which of them force a replacement. */
export function diffInputs(
  schema: ResourceSchema,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): InputDiff {
  const changed: string[] = [];
  const replaces: string[] = [];
  for (const [key, spec] of Object.entries(schema.inputs)) {
    const before = effective(spec, olds[key]);
    const after = effective(spec, news[key]);
    if (!containsUnknown(after) && JSON.stringify(before) === JSON.stringify(after)) continue;
    changed.push(key);
    if (spec.replaceOnChange) replaces.push(key);
  }
  return { changed, replaces };
}

/** The inputs with defaults applied, for the outputs (state) of a created resource. */
export function withDefaults(
  schema: ResourceSchema,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema.inputs)) {
    const value = inputs[key] ?? spec.default;
    if (value !== undefined && value !== null) out[key] = value;
  }
  return out;
}

export function sensitiveInputs(schema: ResourceSchema): string[] {
  return Object.entries(schema.inputs)
    .filter(([, spec]) => spec.sensitive)
    .map(([key]) => key);
}
