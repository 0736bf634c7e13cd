// The provider configuration: `docker:host` (stack config, or the `host` argument of a docker.Provider).
// The stand-in serves `host` for unix:// and tcp:// engines without TLS and refuses every other key, since
// ignoring one would quietly talk to another engine, or without the credentials the stack asked for.

import type Docker from "dockerode";

/** The configuration keys the stand-in reads. */
export const SERVED_CONFIG_KEYS = ["host"] as const;

/** Keys the engine itself adds to a provider's inputs; they configure nothing here. */
const ENGINE_KEYS = ["version", "pluginDownloadURL"];

/** The socket the docker CLI uses when neither `docker:host` nor DOCKER_HOST names an engine. */
export const DEFAULT_ENGINE = "unix:///var/run/docker.sock";

export interface ProviderConfig {
  /** `docker:host` as given, when set. */
  readonly host?: string;
}

/**
 * Reads the engine's `Configure` variables (`docker:config:<key>` → value) and refuses what the stand-in
 * does not serve, with one sentence per key that says what to change.
 */
export function parseProviderConfig(variables: ReadonlyMap<string, string>): ProviderConfig {
  const problems: string[] = [];
  let host: string | undefined;
  for (const [fullKey, value] of variables) {
    const key = fullKey.replace(/^docker:config:/, "");
    if (ENGINE_KEYS.includes(key)) continue;
    if (key === "host") {
      const parsed = clientOptions(value);
      if (parsed instanceof Error) problems.push(parsed.message);
      else host = value;
      continue;
    }
    problems.push(
      `docker:${key} is not supported by the mesh-pki docker stand-in, which reads only ` +
        `${SERVED_CONFIG_KEYS.map((k) => `docker:${k}`).join(", ")} (unix:// or tcp:// without TLS); ` +
        `remove docker:${key} from the stack config (or the docker.Provider), or install the official docker plugin`,
    );
  }
  if (problems.length > 0) throw new Error(problems.join("; "));
  return host === undefined ? {} : { host };
}

/** dockerode's options for a `docker:host` value, or an Error that says which forms are served. */
export function clientOptions(host: string): Docker.DockerOptions | Error {
  const refused = () =>
    new Error(
      `docker:host ${JSON.stringify(host)} is not an engine address the mesh-pki docker stand-in serves; ` +
        "set unix:///path/to/docker.sock or tcp://host:port (without TLS), or install the official docker plugin",
    );
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    return refused();
  }
  if (url.protocol === "unix:" && url.host === "" && url.pathname.length > 1) {
    return { socketPath: decodeURIComponent(url.pathname) };
  }
  if (
    url.protocol === "tcp:" &&
    url.hostname !== "" &&
    url.username === "" &&
    (url.pathname === "" || url.pathname === "/") &&
    url.search === ""
  ) {
    return {
      host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: url.port === "" ? 2375 : Number(url.port),
      protocol: "http",
    };
  }
  return refused();
}

/** Where the engine is: `docker:host`, else DOCKER_HOST as the docker CLI reads it, else the default socket. */
export function engineAddress(
  config: ProviderConfig,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return config.host ?? (env.DOCKER_HOST || DEFAULT_ENGINE);
}
