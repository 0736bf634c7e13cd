/**
 * Bad input for the docker deploy target, through the real engine, the docker plugin and a real Docker
 * engine: a service whose image is not on the engine, a service without an image, a host port a process
 * holds, one another container publishes, and an engine that does not answer. Each stops `preview` and
 * `up` with an error that names what to change, and leaves nothing half-created: no container or network
 * on the engine and no docker resource in the stack's state. Once the port is free again, the same stack
 * comes up.
 */
import { readFileSync } from "node:fs";
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFERENCE_SERVICES } from "../../components/config";
import { DockerEngine, DockerPlugin, dockerPlugin, useDockerPlugin } from "../support/docker";
import { EngineSession, TestStack } from "../support/engine";

const SERVICES: string[] = [...REFERENCE_SERVICES];
const IMAGE = "mesh-pki/reference-service:e2e";
const NODE_IMAGE = "mesh-pki/node-base:22-bookworm";
const STACKS = "e2e-docker-bad";
const PREFIX = `mesh-pki-${STACKS}`;
/** A container that is not the stack's, holding a port the stack wants. */
const SQUATTER = "mesh-pki-e2e-squatter";
const NOWHERE = "unix:///tmp/mesh-pki-no-docker-engine.sock";

/** Each case has ports of its own: `base` for the six services, `base + 47` for Prometheus. */
const deployConfig = (base: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    target: "docker",
    image: IMAGE,
    hostPortBase: base,
    prometheusHostPort: base + 47,
    ...extra,
  });
const services = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify(Object.fromEntries(SERVICES.map((s) => [s, overrides[s] ?? {}])));

let engine: DockerEngine;
let plugin: DockerPlugin;
let session: EngineSession;

beforeAll(async () => {
  engine = await DockerEngine.ensure();
  await engine.buildServiceImage(IMAGE);
  await engine.buildPrometheusImage();
  // A run that was killed may have left its objects; they are this test's own (by name).
  await engine.removeNamed(PREFIX);
  await engine.removeNamed(SQUATTER);
  plugin = await dockerPlugin();
  session = await EngineSession.start("deploy-docker-bad-input");
});

afterAll(async () => {
  try {
    await session?.cleanup();
    await engine?.removeNamed(PREFIX);
    await engine?.removeNamed(SQUATTER);
  } finally {
    await engine?.stop();
  }
});

async function newStack(name: string, config: Record<string, string>): Promise<TestStack> {
  const s = await session.projectStack({ stackName: `${STACKS}-${name}`, config });
  useDockerPlugin(s, plugin);
  return s;
}

const failure = (operation: Promise<unknown>) =>
  operation.then(
    () => "",
    (e: Error) => e.message,
  );

/** What a failed run may leave: Docker objects of the stack's prefix, docker resources in its state. */
async function leftBehind(s: TestStack) {
  const resources = (await s.resources())
    .map((r) => String(r.type))
    .filter((t) => t.startsWith("docker:"));
  return { ...(await engine.objectsNamed(`mesh-pki-${s.stack.name}`)), resources };
}
const NOTHING = { containers: [], networks: [], resources: [] };

describe("bad input", () => {
  it("a service whose image is not on the engine: the service, image and key named; nothing created", async () => {
    const s = await newStack("image", {
      "mesh-pki:deploy": deployConfig(29443),
      "mesh-pki:services": services({
        media: { deploy: { image: "mesh-pki/absent-service:none" } },
      }),
    });
    const message =
      `image mesh-pki/absent-service:none of service media is not on the Docker engine at ${engine.address}; ` +
      "build or load it first (tools/docker.sh service-image mesh-pki/absent-service:none builds the reference service), " +
      "or set mesh-pki:services.media.deploy.image (or mesh-pki:deploy.image) to an image that is";
    expect(await failure(s.preview())).toContain(message);
    expect(await failure(s.up())).toContain(message);
    expect(await leftBehind(s)).toEqual(NOTHING);
  });

  it("a service without an image: refused before anything is declared", async () => {
    const s = await newStack("noimage", {
      "mesh-pki:deploy": deployConfig(29493),
      "mesh-pki:services": services({ auth: { deploy: { image: " " } } }),
    });
    expect(await failure(s.up())).toContain(
      "DockerDeployment mesh-docker: service auth has no image; set mesh-pki:services.auth.deploy.image or mesh-pki:deploy.image",
    );
    // Not even the mesh's keys: the docker target is checked before the mesh is declared.
    expect(await s.resources()).toEqual([]);
    expect(await leftBehind(s)).toEqual(NOTHING);
  });

  it("a host port a process holds: preview and up name the service, port, process and key; nothing created; up works once it is free", async () => {
    const held = 29545; // boards, the third service
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(held, "127.0.0.1", resolve));
    const s = await newStack("port", {
      "mesh-pki:deploy": deployConfig(29543),
      "mesh-pki:services": services(),
    });
    let preview: string;
    let up: string;
    try {
      preview = await failure(s.preview());
      up = await failure(s.up());
    } finally {
      await new Promise((r) => holder.close(r));
    }
    const comm = readFileSync("/proc/self/comm", "utf8").trim();
    const message =
      `service boards cannot publish 127.0.0.1:${held}: process ${comm} (pid ${process.pid}) listens on it, ` +
      "and it is not a Docker container; stop it or set mesh-pki:services.boards.deploy.hostPort to a free port";
    expect(preview).toContain(message);
    expect(up).toContain(message);
    expect(up).toContain("so no Docker object was declared");
    expect(await leftBehind(s)).toEqual(NOTHING);

    const second = await s.up();
    expect(second.summary.result).toBe("succeeded");
    const { containers, networks } = await engine.objectsNamed(`mesh-pki-${s.stack.name}`);
    expect(networks).toEqual([`mesh-pki-${s.stack.name}`]);
    expect(containers).toHaveLength(SERVICES.length + 1);
    const boards = await engine.client.getContainer(`mesh-pki-${s.stack.name}-boards`).inspect();
    expect(boards.HostConfig.PortBindings).toEqual({
      "8443/tcp": [{ HostIp: "127.0.0.1", HostPort: String(held) }],
    });

    await s.destroy();
    expect(await leftBehind(s)).toEqual(NOTHING);
  });

  it("a host port another container publishes: that container named; nothing created", async () => {
    const held = 29645; // gateway, the first service
    const squatter = await engine.client.createContainer({
      name: SQUATTER,
      Image: NODE_IMAGE,
      Cmd: ["node", "-e", "setInterval(() => {}, 1 << 30)"],
      ExposedPorts: { "8443/tcp": {} },
      HostConfig: {
        PortBindings: { "8443/tcp": [{ HostIp: "127.0.0.1", HostPort: String(held) }] },
      },
    });
    try {
      await squatter.start();
      const s = await newStack("container", {
        "mesh-pki:deploy": deployConfig(held),
        "mesh-pki:services": services(),
      });
      expect(await failure(s.up())).toContain(
        `service gateway cannot publish 127.0.0.1:${held}: Docker container ${SQUATTER} publishes it; ` +
          "remove that container or set mesh-pki:services.gateway.deploy.hostPort to a free port",
      );
      expect(await leftBehind(s)).toEqual(NOTHING);
    } finally {
      await squatter.remove({ force: true });
    }
  });

  it("a Docker engine that does not answer, from DOCKER_HOST or docker:host: named; nothing created", async () => {
    const s = await newStack("noengine", {
      "mesh-pki:deploy": deployConfig(29743),
      "mesh-pki:services": services(),
    });
    const message = `the Docker engine at ${NOWHERE} does not answer (ENOENT); start it`;
    const envVars = s.stack.workspace.envVars;
    envVars.DOCKER_HOST = NOWHERE;
    try {
      expect(await failure(s.preview())).toContain(message);
      expect(await failure(s.up())).toContain(message);
    } finally {
      delete envVars.DOCKER_HOST;
    }
    expect(await leftBehind(s)).toEqual(NOTHING);

    // docker:host wins over DOCKER_HOST, for the preflight as for the provider.
    await s.setConfig({ "docker:host": NOWHERE });
    try {
      expect(await failure(s.up())).toContain(message);
    } finally {
      await s.removeConfig("docker:host");
    }
    expect(await leftBehind(s)).toEqual(NOTHING);
  });
});
