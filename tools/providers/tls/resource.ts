// The shape every resource module of the stand-in has, and the plumbing they share.

import { Failure, ResourceSchema } from "./schema";

export type Props = Record<string, unknown>;

export interface CreateOutcome {
  readonly id: string;
  /** Plain outputs; the provider marks the secret ones. */
  readonly outs: Props;
}

export interface ResourceModule {
  readonly schema: ResourceSchema;
  /** Outputs that are key material and always secret in state. */
  readonly secretOutputs: readonly string[];
  /** Checks beyond the schema, on the new inputs with unknowns as {@link Unknown}. */
  check?(news: Props): Failure[];
  create(inputs: Props): Promise<CreateOutcome>;
  /** Replacements the resource plans beyond changed inputs (the early-renewal window). */
  planReplaces?(olds: Props, news: Props): string[];
  /** An in-place update; called only when no input that forces a replacement changed. */
  update?(olds: Props, news: Props): Props;
  /** A refresh: the state as the resource reads it now. */
  read?(props: Props): Props;
}

/** A value of an input that check() has already validated, or its default. */
export function input<T>(props: Props, key: string, fallback?: T): T {
  const value = props[key];
  return (value === undefined || value === null ? fallback : value) as T;
}
