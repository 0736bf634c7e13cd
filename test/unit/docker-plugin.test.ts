/**
 * Which docker plugin the docker suites run: MESH_PKI_DOCKER_PLUGIN, linked under the name the engine looks
 * for in a directory that goes first on PATH; else the stand-in's shim; else the official plugin from the
 * plugin cache. A MESH_PKI_DOCKER_PLUGIN that is not an executable file is refused with what to do.
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerPlugin, useDockerPlugin } from "../support/docker";
import type { TestStack } from "../support/engine";

let dir: string;
let official: string;
let shims: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "mesh-pki-docker-plugin-test-"));
  official = path.join(dir, "official", "pulumi-resource-docker");
  shims = path.join(dir, "shims");
  await fs.mkdir(path.dirname(official), { recursive: true });
  await fs.mkdir(shims);
  await fs.writeFile(official, "#!/bin/sh\n", { mode: 0o755 });
  await fs.writeFile(path.join(dir, "not-executable"), "", { mode: 0o644 });
});

afterAll(async () => {
  // The directory dockerPlugin linked the temporary plugin in (named after its path), then the plugin.
  const linked = await dockerPlugin({ MESH_PKI_DOCKER_PLUGIN: official }, shims);
  await fs.rm(linked.pathDir!, { recursive: true, force: true });
  await fs.rm(dir, { recursive: true, force: true });
});

describe("the docker plugin of the docker suites", () => {
  it("links MESH_PKI_DOCKER_PLUGIN as pulumi-resource-docker in a directory of its own", async () => {
    const plugin = await dockerPlugin({ MESH_PKI_DOCKER_PLUGIN: official }, shims);
    expect(plugin).toMatchObject({ isStandIn: false, description: official });
    expect(await fs.readlink(path.join(plugin.pathDir!, "pulumi-resource-docker"))).toBe(official);
    // The same plugin reuses its directory, so nothing accumulates.
    expect((await dockerPlugin({ MESH_PKI_DOCKER_PLUGIN: official }, shims)).pathDir).toBe(
      plugin.pathDir,
    );
  });

  it("puts that directory first on the stack's PATH", async () => {
    const plugin = await dockerPlugin({ MESH_PKI_DOCKER_PLUGIN: official }, shims);
    const envVars: Record<string, string> = { PATH: "/engine/bin:/shims" };
    useDockerPlugin({ stack: { workspace: { envVars } } } as unknown as TestStack, plugin);
    expect(envVars.PATH).toBe(`${plugin.pathDir}:/engine/bin:/shims`);
  });

  it.each([
    ["a file that is not executable", "not-executable"],
    ["a path that does not exist", "absent"],
  ])("refuses %s", async (_case, name) => {
    const file = path.join(dir, name);
    await expect(dockerPlugin({ MESH_PKI_DOCKER_PLUGIN: file }, shims)).rejects.toThrow(
      `MESH_PKI_DOCKER_PLUGIN=${file} is not an executable file; point it at a pulumi-resource-docker binary or unset it`,
    );
  });

  it("is the stand-in when tools/pulumi wrote its shim, else the official plugin of the plugin cache", async () => {
    expect(await dockerPlugin({}, shims)).toEqual({
      isStandIn: false,
      description: "the official plugin from the Pulumi plugin cache",
    });
    await fs.writeFile(path.join(shims, "pulumi-resource-docker"), "#!/bin/sh\n", { mode: 0o755 });
    const plugin = await dockerPlugin({}, shims);
    expect(plugin.isStandIn).toBe(true);
    expect(plugin.pathDir).toBeUndefined();
  });
});
