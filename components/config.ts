/**
 * The stack config: Pulumi's raw `mesh-pki:*` strings in, a validated MeshConfig out, or one error that
 * names every bad config path and its fix before any resource is declared.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { configProblems } from "./configChecks";
import { ConfigProblem, MeshConfig, resolveConfig } from "./configResolve";
import { TOP_LEVEL_KEYS, TopLevelKey, topLevelSchema } from "./configSchema";

export type { MeshConfig, ServiceConfig, CaSettings, IssuerConfig } from "./configResolve";
export { REFERENCE_SERVICES, DEFAULT_TLS13_CIPHERS } from "./configSchema";

/** The project's config namespace: every key this program reads is `mesh-pki:<key>`. */
export const CONFIG_NAMESPACE = "mesh-pki";

/** The whole schema: per-key shapes and defaults, then cross-key checks, then defaults resolved. */
export const meshConfigSchema = topLevelSchema
  .superRefine((config, ctx) => {
    for (const p of configProblems(config)) {
      ctx.addIssue({ code: "custom", path: p.path, message: p.message });
    }
  })
  .transform(resolveConfig);

/** A stack config that cannot be used. `problems` holds each path (with namespace) and message. */
export class MeshConfigError extends Error {
  constructor(readonly problems: { path: string; message: string }[]) {
    super(
      [
        `stack config is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was declared:`,
        ...problems.map((p) => `  ${p.path}: ${p.message}`),
      ].join("\n"),
    );
    this.name = "MeshConfigError";
  }
}

/** `mesh-pki:services.gateway.dnsNames[0]`; a segment that is not a plain word is quoted. */
export function configPath(path: readonly PropertyKey[]): string {
  const [top, ...rest] = path.map((p) => (typeof p === "symbol" ? p.toString() : p));
  let out = `${CONFIG_NAMESPACE}:${String(top ?? "")}`;
  for (const seg of rest) {
    out +=
      typeof seg === "number"
        ? `[${seg}]`
        : /^[A-Za-z0-9_-]+$/.test(seg)
          ? `.${seg}`
          : `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function isStringKey(key: TopLevelKey): boolean {
  let def = TOP_LEVEL_KEYS[key].def as z.core.$ZodTypeDef & { innerType?: z.ZodType };
  while (def.innerType !== undefined) {
    def = def.innerType.def as typeof def;
  }
  return def.type === "string" || def.type === "enum";
}

/** Turns the raw `mesh-pki:*` strings into values: string keys as given, the rest as JSON. */
function decode(raw: Record<string, string>): {
  values: Record<string, unknown>;
  problems: ConfigProblem[];
} {
  const known = Object.keys(TOP_LEVEL_KEYS) as TopLevelKey[];
  const values: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  const prefix = `${CONFIG_NAMESPACE}:`;

  for (const [fullKey, text] of Object.entries(raw)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (!(known as string[]).includes(key)) {
      const hint = key.includes(".")
        ? " (a nested value is set with `pulumi config set --path`, which writes it under its top-level key)"
        : "";
      problems.push({
        path: [key],
        message: `unknown config key; remove it or use one of: ${known.join(", ")}${hint}`,
      });
      continue;
    }
    if (isStringKey(key as TopLevelKey)) {
      values[key] = text;
      continue;
    }
    try {
      values[key] = JSON.parse(text);
    } catch {
      problems.push({
        path: [key],
        message: `expected a structured value but got the plain text ${JSON.stringify(text.slice(0, 40))}; write it as a YAML object or list in Pulumi.<stack>.yaml, or with \`pulumi config set --path\``,
      });
    }
  }
  return { values, problems };
}

/** Fallback wording, with a fix, for the issues whose schema has no message of its own. */
const fallbackError: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_type") {
    const got = Array.isArray(issue.input)
      ? "list"
      : issue.input === null
        ? "null"
        : typeof issue.input;
    return `expected ${issue.expected}, got ${got}; set a value of type ${issue.expected}`;
  }
  return undefined;
};

/**
 * Validates the raw stack config (the key→string map Pulumi gives, keys with their namespace) and
 * applies the defaults of the reference mesh. Keys of other namespaces are ignored. Throws a
 * MeshConfigError naming every bad path.
 */
export function parseMeshConfig(raw: Record<string, string>): MeshConfig {
  const decoded = decode(raw);
  if (decoded.problems.length > 0) {
    throw new MeshConfigError(
      decoded.problems.map((p) => ({ path: configPath(p.path), message: p.message })),
    );
  }

  const result = meshConfigSchema.safeParse(decoded.values, { error: fallbackError });
  if (!result.success) {
    throw new MeshConfigError(
      result.error.issues.map((i) => ({ path: configPath(i.path), message: i.message })),
    );
  }
  return result.data;
}

/**
 * Reads this stack's config. A bad config stops the program with the message alone (a RunError
 * prints no stack trace), before any resource is declared.
 */
export function loadMeshConfig(): MeshConfig {
  try {
    return parseMeshConfig(pulumi.runtime.allConfig());
  } catch (err) {
    if (err instanceof MeshConfigError) {
      throw new pulumi.RunError(err.message);
    }
    throw err;
  }
}
