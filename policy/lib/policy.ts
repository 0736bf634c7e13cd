/**
 * Builders that give every policy in the pack the same shape: a type filter, typed config with its
 * defaults, plain properties with unknowns marked, violation messages that start with the resource, and
 * a "not checked" report for whatever was unknown during preview.
 */
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { isUnknown, NotCheckedError, plain, type Plain } from "./known";

/** One config property: its JSON schema, which must carry the default the pack applies. */
export type Setting<T> = PolicyConfigJSONSchema & { default: T; description: string };
export type Settings<C> = { [K in keyof C]: Setting<C[K]> };

/** The config schema the engine validates `--policy-pack-config` against. */
export function configSchema<C>(settings: Settings<C>): PolicyConfigSchema {
  return { properties: settings as Record<string, PolicyConfigJSONSchema> };
}

/**
 * A policy's typed config: the defaults from its schema, overridden by whatever the engine passed. The
 * engine validates overrides against the schema before any policy runs, so the merge needs no checks.
 */
export function readConfig<C>(settings: Settings<C>, given: object): C {
  const config = {} as C;
  for (const key of Object.keys(settings) as (keyof C)[]) {
    const value = (given as Partial<C>)[key];
    config[key] = value === undefined ? settings[key].default : (value as C[keyof C]);
  }
  return config;
}

/** A resource as a policy sees it: plain properties and a label for messages. */
export interface Subject {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly props: Plain;
  /** `<Type> '<name>'`, how every message names the resource. */
  readonly label: string;
  /** The stack the resource belongs to, read from its URN. */
  readonly stack: string;
}

/** Collects what a policy could not check because a value was unknown. */
export interface Unchecked {
  /** Records that `what` was not checked on `subject` because the value at `path` is unknown. */
  (subject: Subject, path: string, what: string): void;
}

export function subject(resource: {
  type: string;
  name: string;
  urn: string;
  props: object;
}): Subject {
  return {
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    props: plain(resource.props),
    label: `${shortType(resource.type)} '${resource.name}'`,
    stack: stackOf(resource.urn),
  };
}

/** `tls:index/privateKey:PrivateKey` -> `PrivateKey`. */
export function shortType(type: string): string {
  return type.slice(type.lastIndexOf(":") + 1);
}

/** `urn:pulumi:<stack>::<project>::<type>::<name>` -> `<stack>`. */
export function stackOf(urn: string): string {
  const match = /^urn:pulumi:([^:]+)::/.exec(urn);
  return match ? match[1] : "";
}

interface Common<C> {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  config?: Settings<C>;
}

export interface ResourcePolicySpec<C> extends Common<C> {
  /** The resource types the policy judges; any other type is not applicable. */
  types: readonly string[];
  validate(
    resource: Subject,
    config: C,
    report: (message: string) => void,
    unchecked: Unchecked,
  ): void;
}

export function resourcePolicy<C = Record<string, never>>(
  spec: ResourcePolicySpec<C>,
): ResourceValidationPolicy {
  return {
    name: spec.name,
    description: spec.description,
    enforcementLevel: spec.enforcementLevel,
    ...(spec.config ? { configSchema: configSchema(spec.config) } : {}),
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
      if (!spec.types.includes(args.type)) {
        return;
      }
      const config = readConfig(spec.config ?? ({} as Settings<C>), args.getConfig());
      const notChecked: string[] = [];
      spec.validate(
        subject(args),
        config,
        (message) => reportViolation(message),
        (s, path, what) => notChecked.push(`${s.label}: ${what} (${path} is unknown)`),
      );
      if (notChecked.length > 0) {
        throw new NotCheckedError(notChecked);
      }
    },
  };
}

export interface StackPolicySpec<C> extends Common<C> {
  validate(
    resources: StackResources,
    config: C,
    report: (message: string, urn?: string) => void,
    unchecked: Unchecked,
  ): void;
}

/** The stack's resources as subjects, with the dependency graph the engine reported. */
export class StackResources {
  readonly all: Subject[];
  private readonly byUrn = new Map<string, Subject>();
  private readonly deps = new Map<string, string[]>();

  constructor(resources: readonly PolicyResource[]) {
    this.all = resources.map((r) => subject(r));
    for (const [i, r] of resources.entries()) {
      this.byUrn.set(r.urn, this.all[i]);
      const propertyDeps = Object.values(r.propertyDependencies ?? {}).flat();
      const urns = [...(r.dependencies ?? []), ...propertyDeps].map((d) => d.urn);
      this.deps.set(r.urn, [...new Set(urns)]);
    }
  }

  ofType(...types: string[]): Subject[] {
    return this.all.filter((r) => types.includes(r.type));
  }

  /** The resources `of` depends on directly, of the given types. */
  dependencies(of: Subject, ...types: string[]): Subject[] {
    return (this.deps.get(of.urn) ?? [])
      .map((urn) => this.byUrn.get(urn))
      .filter((r): r is Subject => r !== undefined && types.includes(r.type));
  }
}

export function stackPolicy<C = Record<string, never>>(
  spec: StackPolicySpec<C>,
): StackValidationPolicy {
  return {
    name: spec.name,
    description: spec.description,
    enforcementLevel: spec.enforcementLevel,
    ...(spec.config ? { configSchema: configSchema(spec.config) } : {}),
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
      const config = readConfig(spec.config ?? ({} as Settings<C>), args.getConfig());
      const notChecked: string[] = [];
      spec.validate(
        new StackResources(args.resources),
        config,
        (message, urn) => reportViolation(message, urn),
        (s, path, what) => notChecked.push(`${s.label}: ${what} (${path} is unknown)`),
      );
      if (notChecked.length > 0) {
        throw new NotCheckedError(notChecked);
      }
    },
  };
}

/** Strings of a list property; unknown elements are returned separately so callers can report them. */
export function strings(value: unknown): { known: string[]; unknown: boolean } {
  if (isUnknown(value)) {
    return { known: [], unknown: true };
  }
  if (!Array.isArray(value)) {
    return { known: [], unknown: false };
  }
  return {
    known: value.filter((v): v is string => typeof v === "string"),
    unknown: value.some(isUnknown),
  };
}
