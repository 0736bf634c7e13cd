/**
 * The docker stand-in without an engine: what check refuses, what diff replaces (with the official defaults
 * filled in, so state never differs from inputs by a default), the upload archive it writes, and the
 * provider configuration it reads (`docker:host`) or refuses.
 */
import { describe, expect, it } from "vitest";
import {
  clientOptions,
  engineAddress,
  parseProviderConfig,
} from "../../tools/providers/docker/config";
import { dockerProvider, typeOfUrn } from "../../tools/providers/docker/provider";
import { tarOf } from "../../tools/providers/docker/tar";

const urn = (type: string) =>
  `urn:pulumi:dev::mesh-pki::mesh-pki:deploy:DockerDeployment$${type}::x`;
const CONTAINER = urn("docker:index/container:Container");
const NETWORK = urn("docker:index/network:Network");
const IMAGE = urn("docker:index/remoteImage:RemoteImage");

const container = {
  name: "mesh-pki-dev-auth",
  image: "sha256:abc",
  envs: ["SERVICE_NAME=auth"],
  ports: [{ internal: 8443, external: 18444, ip: "127.0.0.1", protocol: "tcp" }],
  networksAdvanced: [{ name: "mesh-pki-dev", aliases: ["auth"] }],
  uploads: [{ file: "/etc/mesh-pki/tls/tls.key", content: "KEY", permissions: "0400" }],
  labels: [{ label: "a", value: "b" }],
  restart: "unless-stopped",
  mustRun: true,
};

async function failures(type: string, inputs: Record<string, unknown>) {
  const result = await dockerProvider.check!(type, {}, inputs);
  return (result.failures ?? []).map((f) => `${f.property}: ${f.reason}`);
}

async function diff(type: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
  return dockerProvider.diff!("id", type, olds, news);
}

describe("check", () => {
  it("accepts the inputs the docker target uses", async () => {
    expect(await failures(CONTAINER, container)).toEqual([]);
    expect(await failures(NETWORK, { name: "mesh-pki-dev", driver: "bridge" })).toEqual([]);
    expect(
      await failures(IMAGE, { name: "mesh-pki/reference-service:dev", keepLocally: true }),
    ).toEqual([]);
  });

  it.each([
    [
      CONTAINER,
      { ...container, privileged: true },
      'privileged: the mesh-pki docker stand-in does not implement docker:index/container:Container input "privileged"',
    ],
    [
      CONTAINER,
      { ...container, uploads: [{ file: "/x", source: "/etc/hosts" }] },
      'uploads: the mesh-pki docker stand-in does not implement "uploads.source"',
    ],
    [
      CONTAINER,
      { ...container, uploads: [{ file: "/x", content: "", permissions: "rw" }] },
      'uploads: permissions "rw" of /x is not an octal mode such as "0400"',
    ],
    [
      CONTAINER,
      { ...container, restart: "sometimes" },
      'restart: restart "sometimes" is not one of no, on-failure, always, unless-stopped',
    ],
    [
      NETWORK,
      { name: "n", ipamConfigs: [] },
      'ipamConfigs: the mesh-pki docker stand-in does not implement docker:index/network:Network input "ipamConfigs"',
    ],
    [
      IMAGE,
      { name: "i", keepLocally: false },
      "keepLocally: the mesh-pki docker stand-in never removes images, so it needs keepLocally: true",
    ],
    [NETWORK, {}, 'name: docker:index/network:Network needs "name"'],
  ])("refuses %s %j", async (type, inputs, message) => {
    const found = await failures(type, inputs);
    expect(found.some((f) => f.startsWith(message))).toBe(true);
  });

  it("refuses a resource type it does not serve", async () => {
    await expect(failures(urn("docker:index/volume:Volume"), {})).rejects.toThrow(
      "the mesh-pki docker stand-in does not implement docker:index/volume:Volume",
    );
    expect(typeOfUrn(CONTAINER)).toBe("docker:index/container:Container");
  });
});

describe("diff", () => {
  it("sees no change when only official defaults differ", async () => {
    const { ip, protocol, ...port } = container.ports[0];
    expect([ip, protocol]).toEqual(["127.0.0.1", "tcp"]);
    const news = { ...container, ports: [{ ...port, ip }], restart: undefined, mustRun: undefined };
    const olds = { ...container, restart: "no", mustRun: true };
    expect(await diff(CONTAINER, olds, news)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(
      await diff(
        NETWORK,
        { name: "n", driver: "bridge", internal: false, attachable: false, scope: "local" },
        { name: "n" },
      ),
    ).toMatchObject({ changes: false });
  });

  it.each(["image", "envs", "ports", "uploads", "labels", "networksAdvanced", "name"])(
    "replaces a container when %s changes",
    async (key) => {
      const changed = { ...container, [key]: key === "name" || key === "image" ? "other" : [] };
      expect(await diff(CONTAINER, container, changed)).toEqual({
        changes: true,
        replaces: [key],
        deleteBeforeReplace: false,
      });
    },
  );

  it("changes restart in place", async () => {
    expect(await diff(CONTAINER, container, { ...container, restart: "always" })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });
});

describe("the upload archive", () => {
  it("holds each file with its mode after its parent directories, in 512-byte blocks", () => {
    const tar = tarOf([{ path: "/etc/a/key", content: Buffer.from("KEY"), mode: 0o400 }]);
    expect(tar.length % 512).toBe(0);
    const names = [0, 512, 1024].map((o) =>
      tar
        .subarray(o, o + 100)
        .toString()
        .replace(/\0+$/, ""),
    );
    expect(names).toEqual(["etc/", "etc/a/", "etc/a/key"]);
    expect(tar.subarray(1024 + 100, 1024 + 107).toString()).toBe("0000400");
    expect(tar.subarray(1536, 1539).toString()).toBe("KEY");
  });
});

describe("the provider configuration", () => {
  const configure = (vars: Record<string, string>) =>
    parseProviderConfig(new Map(Object.entries(vars)));

  it.each([
    ["unix:///var/run/docker.sock", { socketPath: "/var/run/docker.sock" }],
    ["unix:///tmp/a%20b.sock", { socketPath: "/tmp/a b.sock" }],
    ["tcp://127.0.0.1:2375", { host: "127.0.0.1", port: 2375, protocol: "http" }],
    ["tcp://docker.internal", { host: "docker.internal", port: 2375, protocol: "http" }],
    ["tcp://[::1]:2375/", { host: "::1", port: 2375, protocol: "http" }],
  ])("serves docker:host %s", (host, options) => {
    expect(configure({ "docker:config:host": host })).toEqual({ host });
    expect(clientOptions(host)).toEqual(options);
  });

  it("reads nothing from an empty configuration, and ignores the engine's own version key", () => {
    expect(configure({})).toEqual({});
    expect(configure({ "docker:config:version": "5.2.0" })).toEqual({});
  });

  it.each([
    "ssh://builder@build.example",
    "npipe:////./pipe/docker_engine",
    "unix://relative.sock",
    "tcp://host:2376/path",
    "https://127.0.0.1:2376",
    "/var/run/docker.sock",
  ])("refuses docker:host %s, saying which forms it serves", (host) => {
    expect(() => configure({ "docker:config:host": host })).toThrow(
      `docker:host ${JSON.stringify(host)} is not an engine address the mesh-pki docker stand-in serves; set unix:///path/to/docker.sock or tcp://host:port (without TLS), or install the official docker plugin`,
    );
  });

  it.each(["caMaterial", "certMaterial", "keyMaterial", "certPath", "registryAuth", "sshOpts"])(
    "refuses docker:%s, naming it and what to do",
    (key) => {
      expect(() => configure({ [`docker:config:${key}`]: "x" })).toThrow(
        `docker:${key} is not supported by the mesh-pki docker stand-in, which reads only docker:host (unix:// or tcp:// without TLS); remove docker:${key} from the stack config (or the docker.Provider), or install the official docker plugin`,
      );
    },
  );

  it("reports every refused key at once", () => {
    expect(() =>
      configure({ "docker:config:host": "ssh://h", "docker:config:certPath": "/c" }),
    ).toThrow(/docker:host "ssh:\/\/h" .*; docker:certPath is not supported/);
  });

  it("finds the engine at docker:host, else DOCKER_HOST, else the default socket", () => {
    const env = { DOCKER_HOST: "tcp://127.0.0.1:1" };
    expect(engineAddress({ host: "unix:///x.sock" }, env)).toBe("unix:///x.sock");
    expect(engineAddress({}, env)).toBe("tcp://127.0.0.1:1");
    expect(engineAddress({}, {})).toBe("unix:///var/run/docker.sock");
  });
});
