/**
 * Runs policies the way @pulumi/policy's server does: properties behind the SDK's unknown-checking
 * proxy, the policy's config from the engine, and an `UnknownValueError` turned into an advisory
 * diagnostic. Tests compare the resulting list of violations exactly.
 */
import type {
  EnforcementLevel,
  Policy,
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { isUnknownValueError, unknownCheckingProxy } from "../lib/known";

export interface Violation {
  policy: string;
  level: EnforcementLevel;
  message: string;
}

export interface TestResource {
  type: string;
  name: string;
  props: Record<string, unknown>;
  /** Names of the resources this one depends on. */
  dependsOn?: string[];
}

export const STACK = "staging";

export function urnOf(type: string, name: string, stack = STACK): string {
  return `urn:pulumi:${stack}::mesh-pki::${type}::${name}`;
}

type Config = Record<string, unknown> & { enforcementLevel?: EnforcementLevel };

function levelOf(policy: Policy, config: Config): EnforcementLevel {
  return config.enforcementLevel ?? policy.enforcementLevel ?? "advisory";
}

function configOf(config: Config): () => object {
  const rest: Record<string, unknown> = { ...config };
  delete rest.enforcementLevel;
  return () => rest;
}

async function collect(
  policy: Policy,
  config: Config,
  run: (report: (message: string) => void) => Promise<void> | void,
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const level = levelOf(policy, config);
  try {
    await run((message) => violations.push({ policy: policy.name, level, message }));
  } catch (e) {
    if (!isUnknownValueError(e)) {
      throw e;
    }
    violations.push({ policy: policy.name, level: "advisory", message: e.message });
  }
  return violations;
}

export async function runResourcePolicy(
  policy: ResourceValidationPolicy,
  resource: TestResource,
  config: Config = {},
  stack = STACK,
): Promise<Violation[]> {
  const validations = [policy.validateResource ?? []].flat();
  const result: Violation[] = [];
  for (const validate of validations) {
    const props = unknownCheckingProxy(structuredClone(resource.props));
    const args = {
      type: resource.type,
      props,
      urn: urnOf(resource.type, resource.name, stack),
      name: resource.name,
      opts: { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [] },
      stackTags: new Map<string, string>(),
      isType: () => false,
      asType: () => undefined,
      getConfig: configOf(config),
      notApplicable: () => {
        throw new Error("not applicable");
      },
    };
    result.push(
      ...(await collect(policy, config, (report) => validate(args as never, (m) => report(m)))),
    );
  }
  return result;
}

/** Builds the engine's view of a stack: resources with their dependencies resolved by name. */
export function stackOf(resources: TestResource[], stack = STACK): PolicyResource[] {
  const built = resources.map((r): PolicyResource => ({
    type: r.type,
    name: r.name,
    urn: urnOf(r.type, r.name, stack),
    props: unknownCheckingProxy(structuredClone(r.props)),
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      additionalSecretOutputs: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    },
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  }));
  const byName = new Map(built.map((r) => [r.name, r]));
  resources.forEach((r, i) => {
    built[i].dependencies = (r.dependsOn ?? []).map((name) => {
      const dep = byName.get(name);
      if (!dep) {
        throw new Error(`test stack: ${r.name} depends on unknown resource ${name}`);
      }
      return dep;
    });
  });
  return built;
}

export async function runStackPolicy(
  policy: StackValidationPolicy,
  resources: TestResource[],
  config: Config = {},
): Promise<Violation[]> {
  const args = {
    resources: stackOf(resources),
    stackTags: new Map<string, string>(),
    getConfig: configOf(config),
    notApplicable: () => {
      throw new Error("not applicable");
    },
  };
  return collect(policy, config, (report) => policy.validateStack(args as never, (m) => report(m)));
}

/** A value the engine could not know during preview, as it reaches a policy. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Mandatory violations of one policy, as tests expect them. */
export function mandatory(policy: string, ...messages: string[]): Violation[] {
  return messages.map((message) => ({ policy, level: "mandatory", message }));
}

export function advisory(policy: string, ...messages: string[]): Violation[] {
  return messages.map((message) => ({ policy, level: "advisory", message }));
}

/** The message the pack gives for values unknown during preview. */
export function notChecked(...items: string[]): string {
  return `not checked during preview: ${items.join("; ")}; \`pulumi up\` checks again once the values are known`;
}
