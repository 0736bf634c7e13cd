// The provider: routes the engine's calls to the resource module for the URN's type, keeps secret inputs
// secret in state, and plans replacements the way the official provider does.

import type * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import Docker from "dockerode";
import { isDeepStrictEqual } from "node:util";
import { containsUnknown, unwrapProperties, withSecrets } from "../tls/values";
import { container } from "./container";
import { network } from "./network";
import { remoteImage } from "./remoteImage";
import { checkNames, Props, ResourceModule } from "./resource";
import {
  clientOptions,
  engineAddress as addressOf,
  parseProviderConfig,
  ProviderConfig,
} from "./config";

/** The version of the official package whose names the stand-in follows. */
export const version = "5.2.0";

export const modules: Readonly<Record<string, ResourceModule>> = Object.fromEntries(
  [network, container, remoteImage].map((m) => [m.token, m]),
);

/** The resource type of a URN (urn:pulumi:stack::project::[parent$]type::name). */
export function typeOfUrn(urn: string): string {
  const qualifiedType = urn.split("::")[2] ?? "";
  return qualifiedType.split("$").at(-1)!;
}

function moduleFor(urn: string): ResourceModule {
  const type = typeOfUrn(urn);
  const module = modules[type];
  if (!module) {
    throw new Error(
      `the mesh-pki docker stand-in does not implement ${type}; it serves ${Object.keys(modules).join(", ")}`,
    );
  }
  return module;
}

let config: ProviderConfig = {};
let client: Docker | undefined;

/**
 * The engine's Configure: `docker:config:<key>` variables. Refuses what the stand-in does not serve (see
 * config.ts); the next call to the engine uses the configured host.
 */
export function configureProvider(variables: ReadonlyMap<string, string>): void {
  config = parseProviderConfig(variables);
  client = undefined;
}

/** Where the engine is: `docker:host`, else DOCKER_HOST as the docker CLI reads it, else the default socket. */
export function engineAddress(env: NodeJS.ProcessEnv = process.env): string {
  return addressOf(config, env);
}

function docker(): Docker {
  if (client === undefined) {
    // Without docker:host, dockerode reads DOCKER_HOST (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) itself.
    const options = config.host === undefined ? undefined : clientOptions(config.host);
    if (options instanceof Error) throw options;
    client = new Docker(options);
  }
  return client;
}

/** A call to an engine that does not answer says so, and what to do, instead of ECONNREFUSED. */
async function withEngine<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (["ECONNREFUSED", "ENOENT", "EACCES", "EHOSTUNREACH", "ENOTFOUND"].includes(code ?? "")) {
      throw new Error(
        `the Docker engine at ${engineAddress()} does not answer (${code}) while ${what}; start it ` +
          "(tools/docker.sh start, or dockerd --iptables=false) or set docker:host or DOCKER_HOST to one that runs",
      );
    }
    throw err;
  }
}

export const dockerProvider: provider.Provider = {
  version,

  async check(urn: pulumi.URN, _olds: unknown, news: unknown) {
    const module = moduleFor(urn);
    const { values } = unwrapProperties(news);
    const known = Object.fromEntries(
      Object.entries(values).filter(([, v]) => !containsUnknown(v)),
    ) as Props;
    const failures = [...checkNames(module, values), ...(module.check?.(known) ?? [])];
    return { inputs: news, failures };
  },

  async diff(_id: pulumi.ID, urn: pulumi.URN, olds: unknown, news: unknown) {
    const module = moduleFor(urn);
    const normal = (props: Props) => module.withDefaults?.(props) ?? props;
    const before = normal(unwrapProperties(olds).values);
    const after = normal(unwrapProperties(news).values);
    const changed = Object.keys(module.inputs).filter(
      (key) => !isDeepStrictEqual(before[key] ?? null, after[key] ?? null),
    );
    const replaces = changed.filter((key) => module.inputs[key].replaceOnChange);
    return { changes: changed.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(urn: pulumi.URN, inputs: unknown) {
    const module = moduleFor(urn);
    const { values, secretKeys } = unwrapProperties(inputs);
    const { id, outs } = await withEngine(`creating ${module.token}`, () =>
      module.create(docker(), values),
    );
    return { id, outs: withSecrets(outs, secretKeys) };
  },

  async update(id: pulumi.ID, urn: pulumi.URN, olds: unknown, news: unknown) {
    const module = moduleFor(urn);
    const before = unwrapProperties(olds);
    const after = unwrapProperties(news);
    if (!module.update)
      throw new Error(`${module.token} has no in-place update; its inputs replace it`);
    const outs = await withEngine(`updating ${module.token}`, () =>
      module.update!(docker(), id, before.values, after.values),
    );
    return { outs: withSecrets(outs, [...before.secretKeys, ...after.secretKeys]) };
  },

  async read(id: pulumi.ID, urn: pulumi.URN, props?: unknown) {
    const module = moduleFor(urn);
    const { values, secretKeys } = unwrapProperties(props ?? {});
    const read = await withEngine(`reading ${module.token}`, () =>
      module.read(docker(), id, values),
    );
    // An object that is gone reads as no id, so a refresh drops it from the state.
    if (read === undefined) return { id: "", props: {} };
    return { id, props: withSecrets(read, secretKeys) };
  },

  async delete(id: pulumi.ID, urn: pulumi.URN, props: unknown) {
    const module = moduleFor(urn);
    const { values } = unwrapProperties(props);
    await withEngine(`deleting ${module.token}`, () => module.delete(docker(), id, values));
  },

  async invoke(token: string) {
    throw new Error(
      `the mesh-pki docker stand-in does not implement the function ${token}; install the official docker plugin to use it`,
    );
  },
};
