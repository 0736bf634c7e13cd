/**
 * The docker target's preflight: the verdict over what the engine and the host said (a missing image, a
 * port another container or a process holds, the stack's own container on a rerun, a port that moves),
 * and the probe that asks them, against a fake Docker engine on a unix socket and a port this test holds.
 */
import { readFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EngineFacts,
  loopbackHostPorts,
  PlannedContainer,
  preflightMessage,
  preflightVerdict,
} from "../../components/deploy/dockerPreflight";
import {
  dockerEndpoint,
  enginePreflight,
  probeDockerEngine,
} from "../../components/deploy/dockerProbe";

const service = (name: string, hostPort: number, image = "svc:dev"): PlannedContainer => ({
  who: `service ${name}`,
  container: `mesh-pki-dev-${name}`,
  image,
  imageKey: `mesh-pki:services.${name}.deploy.image (or mesh-pki:deploy.image)`,
  imageHint: `build or load it first`,
  hostPort,
  portKey: `mesh-pki:services.${name}.deploy.hostPort`,
});
const PLAN = [
  service("gateway", 18443, "gw:dev"),
  service("auth", 18444),
  service("boards", 18445),
];

const facts = (f: Partial<EngineFacts> = {}): EngineFacts => ({
  address: "unix:///var/run/docker.sock",
  missingImages: [],
  publishers: [],
  boundElsewhere: new Map(),
  ...f,
});

describe("preflightVerdict", () => {
  it("passes a plan whose images are there and whose ports are free", () => {
    expect(preflightVerdict(PLAN, facts())).toEqual({ problems: [], notes: [] });
  });

  it("passes a rerun: each port held by the stack's own container of the same name", () => {
    const publishers = PLAN.map((p) => ({ name: p.container, hostPorts: [p.hostPort] }));
    expect(preflightVerdict(PLAN, facts({ publishers }))).toEqual({ problems: [], notes: [] });
  });

  it.each<[string, Partial<EngineFacts>, string]>([
    [
      "an image that is not on the engine",
      { missingImages: ["gw:dev"] },
      "image gw:dev of service gateway is not on the Docker engine at unix:///var/run/docker.sock; build or load it first, or set mesh-pki:services.gateway.deploy.image (or mesh-pki:deploy.image) to an image that is",
    ],
    [
      "a port another container publishes",
      { publishers: [{ name: "someone-else", hostPorts: [8080, 18444] }] },
      "service auth cannot publish 127.0.0.1:18444: Docker container someone-else publishes it; remove that container or set mesh-pki:services.auth.deploy.hostPort to a free port",
    ],
    [
      "a port a process holds, named",
      { boundElsewhere: new Map([[18445, "process nc (pid 42)"]]) },
      "service boards cannot publish 127.0.0.1:18445: process nc (pid 42) listens on it, and it is not a Docker container; stop it or set mesh-pki:services.boards.deploy.hostPort to a free port",
    ],
    [
      "a port a process holds, unnamed",
      { boundElsewhere: new Map([[18445, undefined]]) },
      "service boards cannot publish 127.0.0.1:18445: another process on this machine listens on it, and it is not a Docker container; stop it or set mesh-pki:services.boards.deploy.hostPort to a free port",
    ],
    [
      "a port this stack's container of another service holds (services moved)",
      {
        publishers: [
          { name: "mesh-pki-dev-auth", hostPorts: [18445] },
          { name: "mesh-pki-dev-boards", hostPorts: [18446] },
        ],
      },
      "service boards cannot publish 127.0.0.1:18445: Docker container mesh-pki-dev-auth (this stack's service auth, which moves in this update but may still hold it when service boards starts) publishes it; remove that container or set mesh-pki:services.boards.deploy.hostPort to a free port, or to 18446 (the port its container publishes now) to keep that",
    ],
  ])("refuses %s, naming what to change", (_case, f, problem) => {
    expect(preflightVerdict(PLAN, facts(f)).problems).toEqual([problem]);
  });

  it("notes a service whose port moves to a free one, and how to keep the old", () => {
    const publishers = [{ name: "mesh-pki-dev-boards", hostPorts: [18446] }];
    expect(preflightVerdict(PLAN, facts({ publishers }))).toEqual({
      problems: [],
      notes: [
        "service boards moves from 127.0.0.1:18446 to 127.0.0.1:18445 (its container is replaced); to keep the old port, set mesh-pki:services.boards.deploy.hostPort to 18446",
      ],
    });
  });

  it("reports every problem in one message", () => {
    expect(preflightMessage("unix:///x.sock", ["one", "two"])).toBe(
      "2 problems with the Docker engine at unix:///x.sock, so no Docker object was declared:\n  - one\n  - two",
    );
  });

  it("counts a published port when it covers 127.0.0.1, TCP only", () => {
    expect(
      loopbackHostPorts([
        { IP: "0.0.0.0", PublicPort: 1, Type: "tcp" },
        { IP: "127.0.0.1", PublicPort: 2, Type: "tcp" },
        { IP: "::", PublicPort: 3, Type: "tcp" },
        { IP: "10.0.0.5", PublicPort: 4, Type: "tcp" },
        { IP: "0.0.0.0", PublicPort: 5, Type: "udp" },
        { PrivatePort: 8443, Type: "tcp" } as never,
      ]),
    ).toEqual([1, 2, 3]);
  });
});

describe("dockerEndpoint", () => {
  it.each<[Record<string, string>, Record<string, string>, unknown]>([
    [{}, {}, { address: "unix:///var/run/docker.sock", local: true }],
    [{}, { DOCKER_HOST: "unix:///run/user/1/docker.sock" }, { local: true }],
    // From DOCKER_HOST, dockerode reads the address (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) itself.
    [{}, { DOCKER_HOST: "tcp://127.0.0.1:2375" }, { local: true }],
    [{}, { DOCKER_HOST: "tcp://build.example:2376" }, { local: false }],
    [
      { host: "tcp://localhost:2375" },
      { DOCKER_HOST: "unix:///elsewhere.sock" },
      {
        address: "tcp://localhost:2375",
        local: true,
        options: { host: "localhost", port: 2375, protocol: "http" },
      },
    ],
    [
      { host: "tcp://build.example" },
      {},
      { local: false, options: { host: "build.example", port: 2375, protocol: "http" } },
    ],
  ])("reaches docker:host %j with %j as %j", (settings, env, expected) => {
    const endpoint = dockerEndpoint(settings, env);
    expect(endpoint).toMatchObject(expected as object);
    if (settings.host === undefined && env.DOCKER_HOST?.startsWith("tcp:")) {
      expect(endpoint?.options).toBeUndefined();
    }
  });

  it.each(["ssh://builder@build.example", "npipe:////./pipe/docker_engine", "/no/scheme"])(
    "has no endpoint for %s",
    (host) => {
      expect(dockerEndpoint({ host }, {})).toBeUndefined();
    },
  );
});

describe("probeDockerEngine against a fake engine", () => {
  let dir: string;
  let socket: string;
  let engine: http.Server;
  let holder: net.Server;
  let heldPort: number;
  const requests: string[] = [];

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "mesh-pki-preflight-"));
    socket = path.join(dir, "docker.sock");
    // The three calls the probe makes, answered as the Docker Engine API does.
    engine = http.createServer((req, res) => {
      const url = (req.url ?? "").replace(/^\/v[\d.]+/, "").replace(/\?.*$/, "");
      requests.push(`${req.method} ${url}`);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (url === "/_ping") return res.end("OK");
      if (url === "/images/svc:dev/json") return json(200, { Id: "sha256:1" });
      if (url.startsWith("/images/")) return json(404, { message: "No such image" });
      if (url === "/containers/json") {
        return json(200, [
          {
            Id: "c1",
            Names: ["/someone-else"],
            Ports: [{ IP: "127.0.0.1", PrivatePort: 80, PublicPort: 18444, Type: "tcp" }],
          },
          { Id: "c2", Names: ["/quiet"], Ports: [] },
        ]);
      }
      json(404, { message: `unexpected ${url}` });
    });
    await new Promise<void>((resolve) => engine.listen(socket, resolve));
    holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    heldPort = (holder.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((r) => holder.close(r));
    await new Promise((r) => engine.close(r));
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("finds the missing image, the container's port and the process holding a port", async () => {
    const endpoint = dockerEndpoint({ host: `unix://${socket}` }, {})!;
    const plan = [
      service("gateway", 29901),
      service("auth", 18444),
      service("boards", heldPort, "absent:1"),
    ];
    const found = await probeDockerEngine(endpoint, plan);

    const comm = readFileSync("/proc/self/comm", "utf8").trim();
    expect(found).toEqual({
      address: `unix://${socket}`,
      missingImages: ["absent:1"],
      publishers: [{ name: "someone-else", hostPorts: [18444] }],
      boundElsewhere: new Map([[heldPort, `process ${comm} (pid ${process.pid})`]]),
    });
    expect(requests).toContain("GET /images/absent:1/json");
  });

  it("refuses through enginePreflight with every problem, and passes a plan that fits", async () => {
    const preflight = enginePreflight({ host: `unix://${socket}` }, {});
    await expect(preflight([service("boards", heldPort, "absent:1")])).rejects.toThrow(
      `2 problems with the Docker engine at unix://${socket}, so no Docker object was declared:\n  - image absent:1 of service boards is not on the Docker engine`,
    );
    await expect(preflight([service("gateway", 29902)])).resolves.toEqual([]);
  });

  it("says that an engine that does not answer does not, and what to do", async () => {
    const gone = `unix://${path.join(dir, "nothing-here.sock")}`;
    await expect(enginePreflight({ host: gone }, {})(PLAN)).rejects.toThrow(
      `the Docker engine at ${gone} does not answer (ENOENT); start it (tools/docker.sh start, or dockerd --iptables=false) or set docker:host or DOCKER_HOST to one that runs`,
    );
  });

  it("checks nothing on an engine it cannot reach the way the provider does, and says so", async () => {
    await expect(
      enginePreflight({ host: "ssh://builder@build.example" }, {})(PLAN),
    ).resolves.toEqual([
      "images and host ports are checked before an update on unix:// and tcp:// Docker engines only; ssh://builder@build.example is not, so a missing image or a taken port shows only when its container is created",
    ]);
  });
});
