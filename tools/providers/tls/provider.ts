// The provider: routes the engine's calls to the resource module for the URN's type, handles secrets and
// values unknown during a preview, and plans replacements the way the official provider does.

import type * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { certRequest } from "./certRequest";
import { locallySignedCert } from "./locallySignedCert";
import { privateKey } from "./privateKey";
import { Props, ResourceModule } from "./resource";
import { checkInputs, diffInputs, sensitiveInputs } from "./schema";
import { selfSignedCert } from "./selfSignedCert";
import { unwrapProperties, withSecrets } from "./values";

/** The version of the official package whose behaviour the stand-in follows. */
export const version = "5.6.1";

export const modules: Readonly<Record<string, ResourceModule>> = Object.fromEntries(
  [privateKey, certRequest, selfSignedCert, locallySignedCert].map((m) => [m.schema.token, m]),
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
      `the mesh-pki tls stand-in does not implement ${type}; it serves ${Object.keys(modules).join(", ")}`,
    );
  }
  return module;
}

function secretKeysOf(module: ResourceModule, fromInputs: Iterable<string>): Set<string> {
  return new Set([...fromInputs, ...module.secretOutputs, ...sensitiveInputs(module.schema)]);
}

export const tlsProvider: provider.Provider = {
  version,

  async check(urn: pulumi.URN, _olds: unknown, news: unknown) {
    const module = moduleFor(urn);
    const { values } = unwrapProperties(news);
    const failures = [...checkInputs(module.schema, values), ...(module.check?.(values) ?? [])];
    return { inputs: news, failures };
  },

  async diff(_id: pulumi.ID, urn: pulumi.URN, olds: unknown, news: unknown) {
    const module = moduleFor(urn);
    const before = unwrapProperties(olds).values;
    const after = unwrapProperties(news).values;
    const { changed, replaces } = diffInputs(module.schema, before, after);
    const planned = module.planReplaces?.(before, after) ?? [];
    const allReplaces = [...replaces, ...planned.filter((p) => !replaces.includes(p))];
    return {
      changes: changed.length > 0 || allReplaces.length > 0,
      replaces: allReplaces,
      deleteBeforeReplace: false,
    };
  },

  async create(urn: pulumi.URN, inputs: unknown) {
    const module = moduleFor(urn);
    const { values, secretKeys } = unwrapProperties(inputs);
    const { id, outs } = await module.create(values);
    return { id, outs: withSecrets(outs, secretKeysOf(module, secretKeys)) };
  },

  async update(_id: pulumi.ID, urn: pulumi.URN, olds: unknown, news: unknown) {
    const module = moduleFor(urn);
    const before = unwrapProperties(olds);
    const after = unwrapProperties(news);
    if (!module.update) {
      throw new Error(
        `${module.schema.token} has no in-place update; every input change replaces it`,
      );
    }
    const outs = module.update(before.values, after.values);
    const secrets = secretKeysOf(module, [...before.secretKeys, ...after.secretKeys]);
    return { outs: withSecrets(outs, secrets) };
  },

  async read(id: pulumi.ID, urn: pulumi.URN, props?: unknown) {
    const module = moduleFor(urn);
    const { values, secretKeys } = unwrapProperties(props ?? {});
    const read: Props = module.read ? module.read(values) : values;
    return { id, props: withSecrets(read, secretKeysOf(module, secretKeys)) };
  },

  async delete() {
    // Nothing exists outside the state: deleting is forgetting, as upstream.
  },

  async invoke(token: string) {
    throw new Error(
      `the mesh-pki tls stand-in does not implement the function ${token} (getCertificate and ` +
        "getPublicKey are not served); install the official tls plugin to use it",
    );
  },
};
