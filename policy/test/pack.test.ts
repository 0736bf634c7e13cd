import { describe, expect, it } from "vitest";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { readConfig, type Settings } from "../lib/policy";
import { policies } from "../policies";
import { deployment, key, leafCert, meshStack, request, tlsSecret } from "./fixtures";
import { runResourcePolicy, runStackPolicy } from "./harness";

const isStack = (p: object): p is StackValidationPolicy => "validateStack" in p;

describe("the pack", () => {
  it("names its policies in kebab-case, once each", () => {
    const names = policies.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    }
  });

  it.each(policies.map((p) => [p.name, p] as const))(
    "%s has a description and an enforcement level",
    (_, policy) => {
      expect(policy.description).toMatch(/^Checks whether /);
      expect(["mandatory", "advisory"]).toContain(policy.enforcementLevel);
    },
  );

  it("enforces every policy by default but the 90-day advisory", () => {
    const advisory = policies.filter((p) => p.enforcementLevel === "advisory").map((p) => p.name);
    expect(advisory).toEqual(["leaf-validity-advisory"]);
  });

  it("declares these config schemas and defaults", () => {
    const schemas = Object.fromEntries(
      policies
        .filter((p) => p.configSchema)
        .map((p) => [
          p.name,
          Object.fromEntries(
            Object.entries(p.configSchema!.properties).map(([k, v]) => [k, v.default]),
          ),
        ]),
    );
    expect(schemas).toEqual({
      "key-algorithm": { allowEd25519: true },
      "leaf-validity-ceiling": { maxDays: 398 },
      "leaf-validity-advisory": { maxDays: 90 },
      "ca-validity-ceiling": { maxDays: 3650 },
      "renewal-window": { minShare: 0.05 },
      "unique-service-sans": { sharedSans: ["localhost", "127.0.0.1", "::1"] },
      "tls-min-version": { minVersion: "TLSv1.3" },
      "loopback-ports": { loopbackOnlyStacks: ["dev", "local"] },
    });
  });

  it("reads config as the defaults overridden by what the engine passes", () => {
    const settings: Settings<{ a: number; b: string[] }> = {
      a: { type: "integer", default: 1, description: "a" },
      b: { type: "array", default: ["x"], description: "b" },
    };
    expect(readConfig(settings, {})).toEqual({ a: 1, b: ["x"] });
    expect(readConfig(settings, { a: 2 })).toEqual({ a: 2, b: ["x"] });
    expect(readConfig(settings, { b: [], other: true })).toEqual({ a: 1, b: [] });
  });

  it("finds nothing wrong with a known-good mesh, resource by resource and as a stack", async () => {
    const resources = [
      ...meshStack(),
      key("boards-key"),
      request("boards"),
      leafCert("boards"),
      deployment("boards"),
      tlsSecret("boards"),
    ];
    const violations = [];
    for (const policy of policies) {
      if (isStack(policy)) {
        violations.push(...(await runStackPolicy(policy, resources)));
        continue;
      }
      for (const resource of resources) {
        violations.push(...(await runResourcePolicy(policy as ResourceValidationPolicy, resource)));
      }
    }
    expect(violations).toEqual([]);
  });
});
