/**
 * The language host built by tools/toolchain.sh honours the project's runtime options. The host (sdk
 * v3.68) takes them as flags, which the CLI (3.276) no longer passes; the toolchain's wrapper reads them
 * from Pulumi.yaml. Without it, `typescript: false` was ignored and every run loaded TypeScript and ts-node.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineSession } from "../support/engine";

let session: EngineSession;

beforeAll(async () => {
  session = await EngineSession.start("language-host");
});

afterAll(async () => {
  await session?.cleanup();
});

describe("the language host", () => {
  it("runs a project with typescript: false without TypeScript or ts-node", async () => {
    // tempProjectStack writes `typescript: false` in the project's Pulumi.yaml.
    const stack = await session.tempProjectStack({
      projectName: "language-host",
      program: `
        exports.typescriptEnv = process.env.PULUMI_NODEJS_TYPESCRIPT ?? "unset";
        exports.loaded = Object.keys(require.cache)
          .filter((m) => /[\\\\/](typescript|ts-node)(@[^\\\\/]*)?[\\\\/]/.test(m))
          .slice(0, 3);
      `,
    });
    await stack.up();
    const outputs = await stack.outputs();
    expect(outputs.typescriptEnv.value).toBe("unset");
    expect(outputs.loaded.value).toEqual([]);
  });
});
