// Conformance of the docker resources mesh-pki uses, through the real engine and a real Docker engine:
// create (network, image reference, container with envs, labels, a 127.0.0.1 port and an upload with its
// mode), no change when nothing changes, a replacement for a replace-on-change input and nothing else, the
// in-place `restart` update, the refusal of inputs the stand-in does not serve, a destroy that leaves
// nothing, and the provider configuration: `docker:host` as unix:// and tcp:// (DOCKER_HOST pointing
// nowhere, so only the configured host can work), and the refusal of keys the stand-in does not serve.
// Runs against the official plugin too, when it is installed or MESH_PKI_DOCKER_PLUGIN names it (the
// refusals are the stand-in's own and are skipped then).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine, DockerPlugin, dockerPlugin, useDockerPlugin } from "../../support/docker";
import { EngineSession, TestStack } from "../../support/engine";

const IMAGE = "mesh-pki/node-base:22-bookworm";
const PREFIX = "mesh-pki-conformance";
const HOST_PORT = 29743;
/** A socket no engine listens on: with DOCKER_HOST set to it, only `docker:host` reaches the engine. */
const NOWHERE = "unix:///tmp/mesh-pki-no-docker-engine.sock";

// The container runs `node` with no input, which exits at once: mustRun false keeps that a success.
const program = `
const pulumi = require("@pulumi/pulumi");
const docker = require("@pulumi/docker");
const config = new pulumi.Config();
const prefix = config.get("prefix") ?? "${PREFIX}";
const image = new docker.RemoteImage("image", { name: "${IMAGE}", keepLocally: config.getBoolean("keepLocally") ?? true });
const network = new docker.Network("net", { name: prefix });
const extra = JSON.parse(config.get("extra") ?? "{}");
const container = new docker.Container("box", {
  name: prefix + "-box",
  image: image.imageId,
  envs: ["GREETING=" + (config.get("greeting") ?? "hello")],
  labels: [{ label: "test", value: "conformance" }],
  networksAdvanced: [{ name: network.name, aliases: ["box"] }],
  ports: [{ internal: 8443, external: config.getNumber("hostPort") ?? ${HOST_PORT}, ip: "127.0.0.1" }],
  uploads: [{ file: "/etc/conformance/secret.txt", content: pulumi.secret("s3cret"), permissions: "0400" }],
  restart: config.get("restart") ?? "no",
  mustRun: false,
  ...extra,
}, { deleteBeforeReplace: true });
exports.imageId = image.imageId;
exports.containerId = container.id;
`;

let engine: DockerEngine;
let plugin: DockerPlugin;
let session: EngineSession;
let stack: TestStack;

beforeAll(async () => {
  plugin = await dockerPlugin();
  engine = await DockerEngine.ensure();
  await engine.buildBaseImages();
  await engine.removeNamed(PREFIX);
  session = await EngineSession.start("docker-conformance");
  stack = await session.tempProjectStack({ projectName: "docker-conformance", program });
  useDockerPlugin(stack, plugin);
});

afterAll(async () => {
  try {
    await session?.cleanup();
    await engine?.removeNamed(PREFIX);
  } finally {
    await engine?.stop();
  }
});

/** The preview's error message, or "" when it succeeds. */
const previewError = (s: TestStack) =>
  s.preview().then(
    () => "",
    (e: Error) => e.message,
  );

describe("docker resources through the real engine", () => {
  it("creates the network, the image reference and the container as asked", async () => {
    await stack.up();
    const outputs = await stack.outputs();
    expect(outputs.imageId.value).toMatch(/^sha256:[0-9a-f]{64}$/);

    const info = await engine.client.getContainer(`${PREFIX}-box`).inspect();
    expect(info.Id).toBe(outputs.containerId.value);
    expect(info.Config.Env).toContain("GREETING=hello");
    expect(info.Config.Labels).toMatchObject({ test: "conformance" });
    expect(info.HostConfig.PortBindings).toEqual({
      "8443/tcp": [{ HostIp: "127.0.0.1", HostPort: String(HOST_PORT) }],
    });
    expect(info.HostConfig.RestartPolicy?.Name).toBe("no");
    expect(info.NetworkSettings.Networks[PREFIX].Aliases).toContain("box");

    // The upload, read back as the archive Docker gives: its mode is in the tar header.
    const archive = await engine.client
      .getContainer(`${PREFIX}-box`)
      .getArchive({ path: "/etc/conformance/secret.txt" });
    const tar = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      archive.on("data", (c: Buffer) => chunks.push(c));
      archive.on("end", () => resolve(Buffer.concat(chunks)));
    });
    expect(tar.subarray(0, 10).toString()).toBe("secret.txt");
    expect(parseInt(tar.subarray(100, 107).toString(), 8) & 0o777).toBe(0o400);
    expect(tar.subarray(512, 518).toString()).toBe("s3cret");

    // The upload arrived secret, so it is not in the state in plain text.
    const state = JSON.stringify(await stack.exportState());
    expect(state).not.toContain("s3cret");
  });

  it("changes nothing when nothing changes", async () => {
    const preview = await stack.preview();
    expect(preview.steps.filter((s) => s.op !== "same")).toEqual([]);
  });

  it("updates restart in place: same container", async () => {
    const before = (await stack.outputs()).containerId.value;
    await stack.setConfig({ restart: "on-failure" });
    const preview = await stack.preview();
    expect(preview.steps.filter((s) => s.op !== "same").map((s) => [s.name, s.op])).toEqual([
      ["box", "update"],
    ]);
    await stack.up();
    expect((await stack.outputs()).containerId.value).toBe(before);
    const info = await engine.client.getContainer(`${PREFIX}-box`).inspect();
    expect(info.HostConfig.RestartPolicy?.Name).toBe("on-failure");
  });

  it("replaces the container, and nothing else, when envs change", async () => {
    const before = (await stack.outputs()).containerId.value;
    await stack.setConfig({ greeting: "bonjour" });
    const preview = await stack.preview();
    const changed = preview.steps.filter((s) => s.op !== "same");
    expect(new Set(changed.map((s) => s.name))).toEqual(new Set(["box"]));
    expect(changed.find((s) => s.op === "replace")?.replaceKeys).toEqual(["envs"]);
    await stack.up();
    const after = (await stack.outputs()).containerId.value;
    expect(after).not.toBe(before);
    const info = await engine.client.getContainer(`${PREFIX}-box`).inspect();
    expect(info.Config.Env).toContain("GREETING=bonjour");
  });

  it.for([
    [
      { extra: JSON.stringify({ privileged: true }) },
      'does not implement docker:index/container:Container input "privileged"',
    ],
    [
      { extra: JSON.stringify({ uploads: [{ file: "/x", source: "/etc/hosts" }] }) },
      'does not implement "uploads.source"',
    ],
    [{ keepLocally: "false" }, "never removes images, so it needs keepLocally: true"],
  ] as const)(
    "refuses an input it does not serve (%j; stand-in only)",
    async ([config, message], ctx) => {
      if (!plugin.isStandIn) ctx.skip();
      await stack.setConfig(config);
      const error = await previewError(stack);
      await stack.removeConfig(...Object.keys(config));
      expect(error).toContain(message);
    },
  );

  it("leaves no container or network after destroy", async () => {
    await stack.destroy();
    expect(await engine.objectsNamed(PREFIX)).toEqual({ containers: [], networks: [] });
  });
});

describe("the provider configuration", () => {
  const prefix = `${PREFIX}-host`;
  let hostStack: TestStack;

  beforeAll(async () => {
    await engine.removeNamed(prefix);
    hostStack = await session.tempProjectStack({
      projectName: "docker-conformance-host",
      program,
      config: { prefix, hostPort: String(HOST_PORT + 1) },
    });
    useDockerPlugin(hostStack, plugin);
    hostStack.stack.workspace.envVars.DOCKER_HOST = NOWHERE;
  });

  afterAll(async () => {
    // The session's cleanup destroys this stack against the engine that runs.
    if (hostStack === undefined) return;
    delete hostStack.stack.workspace.envVars.DOCKER_HOST;
    await hostStack.removeConfig("docker:host");
    await engine.removeNamed(prefix);
  });

  /** An up and a destroy through the configured host; the objects must appear on the engine, then go. */
  async function upAndDestroy(host: string) {
    await hostStack.setConfig({ "docker:host": host });
    await hostStack.up();
    const made = await engine.objectsNamed(prefix);
    await hostStack.destroy();
    expect(made).toEqual({ containers: [`${prefix}-box`], networks: [prefix] });
    expect(await engine.objectsNamed(prefix)).toEqual({ containers: [], networks: [] });
  }

  it("reaches the engine at docker:host unix://..., not at DOCKER_HOST", async (ctx) => {
    if (!engine.address.startsWith("unix://")) ctx.skip();
    await upAndDestroy(engine.address);
  });

  it("reaches the engine at docker:host tcp://127.0.0.1:<port> without TLS", async () => {
    const proxy = await engine.tcpProxy();
    try {
      await upAndDestroy(proxy.url);
      expect(proxy.connections()).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });

  it.for([
    [
      { "docker:caMaterial": "-----BEGIN CERTIFICATE-----" },
      "docker:caMaterial is not supported by the mesh-pki docker stand-in, which reads only docker:host (unix:// or tcp:// without TLS); remove docker:caMaterial",
    ],
    [
      { "docker:host": "ssh://builder@build.example" },
      'docker:host "ssh://builder@build.example" is not an engine address the mesh-pki docker stand-in serves; set unix:///path/to/docker.sock or tcp://host:port (without TLS)',
    ],
  ] as const)(
    "refuses provider configuration it does not serve (%j; stand-in only)",
    async ([config, message], ctx) => {
      if (!plugin.isStandIn) ctx.skip();
      await hostStack.setConfig(config);
      const error = await previewError(hostStack);
      await hostStack.removeConfig(...Object.keys(config));
      expect(error).toContain(message);
    },
  );
});
