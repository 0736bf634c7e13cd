// The shape every resource module of the docker stand-in has, and the input checks they share.

import type Docker from "dockerode";

export type Props = Record<string, unknown>;

export interface Failure {
  property: string;
  reason: string;
}

export interface InputSpec {
  /** The official provider replaces the resource when this input changes. */
  readonly replaceOnChange: boolean;
  readonly required?: boolean;
}

export interface ResourceModule {
  /** The official type token. */
  readonly token: string;
  /** The official inputs the stand-in serves; any other input is refused in check. */
  readonly inputs: Readonly<Record<string, InputSpec>>;
  /** Inputs with the official defaults filled in, so a diff of state against new inputs sees no default. */
  withDefaults?(props: Props): Props;
  /** Checks beyond known names, on the new inputs (values unknown in a preview are skipped). */
  check?(news: Props): Failure[];
  create(docker: Docker, inputs: Props): Promise<{ id: string; outs: Props }>;
  /** An in-place update; called only when no replace-on-change input changed. */
  update?(docker: Docker, id: string, olds: Props, news: Props): Promise<Props>;
  /** A refresh: the state as the engine has it now, or undefined when the object is gone. */
  read(docker: Docker, id: string, props: Props): Promise<Props | undefined>;
  delete(docker: Docker, id: string, props: Props): Promise<void>;
}

/** Failures for inputs the module does not serve, and for required inputs that are missing. */
export function checkNames(module: ResourceModule, news: Props): Failure[] {
  const failures: Failure[] = [];
  const served = Object.keys(module.inputs);
  for (const key of Object.keys(news)) {
    if (key.startsWith("__")) continue;
    if (!(key in module.inputs)) {
      failures.push({
        property: key,
        reason:
          `the mesh-pki docker stand-in does not implement ${module.token} input "${key}"; ` +
          `it serves ${served.join(", ")} (install the official docker plugin for the rest)`,
      });
    }
  }
  for (const [key, spec] of Object.entries(module.inputs)) {
    if (spec.required && (news[key] === undefined || news[key] === null)) {
      failures.push({ property: key, reason: `${module.token} needs "${key}"` });
    }
  }
  return failures;
}

/** Failures for keys of a nested object (a list item) that the stand-in does not serve. */
export function checkNestedNames(
  property: string,
  item: unknown,
  served: readonly string[],
): Failure[] {
  if (typeof item !== "object" || item === null) return [];
  return Object.keys(item)
    .filter((key) => !served.includes(key))
    .map((key) => ({
      property,
      reason: `the mesh-pki docker stand-in does not implement "${property}.${key}"; it serves ${served.join(", ")}`,
    }));
}

/** The docker engine answered 404: the object is gone. */
export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 404;
}

/** The message of a Docker Engine API error, without dockerode's "(HTTP code 409) conflict - " prefix. */
export function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  return e.json?.message ?? e.message ?? String(err);
}
