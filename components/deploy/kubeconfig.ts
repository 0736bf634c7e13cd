/**
 * Which cluster the kubernetes target talks to, checked before any resource is declared: the kubeconfig
 * file (config, then `KUBECONFIG`, then `~/.kube/config`) must exist and hold the context the stack names,
 * or have a current context. Reads files; no Pulumi.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

export interface KubeconfigChoice {
  /** The kubeconfig file given in config, absolute; undefined when the provider reads KUBECONFIG itself. */
  kubeconfig: string | undefined;
  /** The context the provider uses. */
  context: string;
}

/** A kubeconfig that cannot be used; the message names the config key and the fix. */
export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KubeconfigError";
  }
}

interface Kubeconfig {
  contexts: string[];
  currentContext: string | undefined;
}

function readKubeconfig(file: string, key: string): Kubeconfig {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new KubeconfigError(
      `${key}: kubeconfig ${file} cannot be read; set mesh-pki:deploy.kubeconfig to an existing file, or render manifests with mesh-pki:deploy.renderDirectory`,
    );
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    throw new KubeconfigError(`${key}: kubeconfig ${file} is not YAML; point it at a kubeconfig`);
  }
  const value = (doc ?? {}) as { contexts?: unknown; "current-context"?: unknown };
  const contexts = Array.isArray(value.contexts)
    ? value.contexts
        .map((c) => (c as { name?: unknown })?.name)
        .filter((n): n is string => typeof n === "string")
    : [];
  const current = value["current-context"];
  return {
    contexts,
    currentContext: typeof current === "string" && current !== "" ? current : undefined,
  };
}

/**
 * Resolves and checks the kubeconfig and context of the kubernetes target. `kubeconfig` from config is
 * relative to `projectDir`; without it the files of `KUBECONFIG` (colon-separated) or `~/.kube/config` are
 * read, as kubectl and the provider read them.
 */
export function chooseKubeconfig(options: {
  kubeconfig?: string;
  context?: string;
  projectDir: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
}): KubeconfigChoice {
  const env = options.env ?? process.env;
  const configured =
    options.kubeconfig === undefined
      ? undefined
      : path.resolve(
          options.projectDir,
          options.kubeconfig.replace(/^~(?=\/)/, options.home ?? os.homedir()),
        );
  const files =
    configured !== undefined
      ? [configured]
      : env.KUBECONFIG
        ? env.KUBECONFIG.split(path.delimiter).filter((f) => f !== "")
        : [path.join(options.home ?? os.homedir(), ".kube", "config")];
  const key = configured !== undefined ? "mesh-pki:deploy.kubeconfig" : "mesh-pki:deploy";

  const read = files.map((f) => readKubeconfig(f, key));
  const contexts = [...new Set(read.flatMap((k) => k.contexts))];
  const where = files.join(path.delimiter);

  if (options.context !== undefined) {
    if (!contexts.includes(options.context)) {
      throw new KubeconfigError(
        `mesh-pki:deploy.context: kubeconfig ${where} has no context ${JSON.stringify(options.context)} ` +
          `(it has ${contexts.length === 0 ? "none" : contexts.map((c) => JSON.stringify(c)).join(", ")}); ` +
          `set one of them, or fix mesh-pki:deploy.kubeconfig`,
      );
    }
    return { kubeconfig: configured, context: options.context };
  }

  // Like kubectl, the first file that sets a current context wins.
  const current = read.find((k) => k.currentContext !== undefined)?.currentContext;
  if (current === undefined || !contexts.includes(current)) {
    throw new KubeconfigError(
      `mesh-pki:deploy.context: kubeconfig ${where} has no usable current context; set mesh-pki:deploy.context to one of ${contexts.length === 0 ? "its contexts (it has none)" : contexts.map((c) => JSON.stringify(c)).join(", ")}`,
    );
  }
  return { kubeconfig: configured, context: current };
}
