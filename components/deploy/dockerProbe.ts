/**
 * Asks the Docker engine, and this machine, what the docker target's preflight judges
 * (dockerPreflight.ts): whether the engine answers, which images it lacks, which running containers publish
 * which host ports, and, when the engine runs on this machine, whether a bind on 127.0.0.1 finds a port
 * taken and by which process. Read-only: it creates nothing and leaves no socket open.
 */
import { readdir, readFile, readlink } from "node:fs/promises";
import * as net from "node:net";
import Docker from "dockerode";
import {
  EngineFacts,
  loopbackHostPorts,
  PlannedContainer,
  preflightMessage,
  preflightVerdict,
} from "./dockerPreflight";

/** The socket the docker CLI (and the docker provider) uses when nothing else is set. */
export const DEFAULT_DOCKER_ENGINE = "unix:///var/run/docker.sock";

/** How long the engine has to answer each call of the preflight. */
const ENGINE_TIMEOUT_MS = 15_000;

/** The `docker:*` provider settings the preflight needs to reach the same engine as the provider. */
export interface DockerProviderSettings {
  host?: string;
  caMaterial?: string;
  certMaterial?: string;
  keyMaterial?: string;
}

export interface DockerEndpoint {
  /** As given, for messages. */
  address: string;
  /** dockerode's options; without them dockerode reads DOCKER_HOST and its TLS variables itself. */
  options?: Docker.DockerOptions;
  /** Whether the engine's 127.0.0.1 is this machine's, so that a bind here says whether a port is free. */
  local: boolean;
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/**
 * The engine the docker provider will use: `docker:host`, else DOCKER_HOST, else the default socket.
 * Undefined for an address the preflight cannot reach the way the provider does (ssh://, npipe://).
 */
export function dockerEndpoint(
  settings: DockerProviderSettings,
  env: NodeJS.ProcessEnv = process.env,
): DockerEndpoint | undefined {
  const fromConfig = settings.host !== undefined && settings.host !== "";
  const address = fromConfig ? settings.host! : env.DOCKER_HOST || DEFAULT_DOCKER_ENGINE;
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return undefined;
  }
  if (url.protocol === "unix:" && url.host === "" && url.pathname.length > 1) {
    return { address, options: { socketPath: decodeURIComponent(url.pathname) }, local: true };
  }
  if (url.protocol !== "tcp:" || url.hostname === "") return undefined;

  const local = LOOPBACK_HOSTS.has(url.hostname);
  if (!fromConfig) return { address, local };
  const tls = settings.caMaterial ?? settings.certMaterial ?? settings.keyMaterial;
  return {
    address,
    local,
    options: {
      host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: url.port === "" ? (tls ? 2376 : 2375) : Number(url.port),
      protocol: tls ? "https" : "http",
      ca: settings.caMaterial,
      cert: settings.certMaterial,
      key: settings.keyMaterial,
    },
  };
}

/**
 * The docker target's real preflight: asks the engine the provider will use about the plan and judges the
 * answer (dockerPreflight.ts). Resolves with notes to log, or rejects naming every problem.
 */
export function enginePreflight(
  settings: DockerProviderSettings,
  env: NodeJS.ProcessEnv = process.env,
): (plan: PlannedContainer[]) => Promise<string[]> {
  return async (plan) => {
    const endpoint = dockerEndpoint(settings, env);
    if (endpoint === undefined) {
      return [
        `images and host ports are checked before an update on unix:// and tcp:// Docker engines only; ${settings.host || env.DOCKER_HOST} is not, so a missing image or a taken port shows only when its container is created`,
      ];
    }
    const verdict = preflightVerdict(plan, await probeDockerEngine(endpoint, plan));
    if (verdict.problems.length > 0) {
      throw new Error(preflightMessage(endpoint.address, verdict.problems));
    }
    return verdict.notes;
  };
}

/** An engine that does not answer, said the way the docker stand-in says it, with what to do. */
function engineDown(address: string, err: unknown): Error {
  const code = (err as { code?: string }).code;
  const why = code ?? (err as Error).message;
  return new Error(
    `the Docker engine at ${address} does not answer (${why}); start it ` +
      "(tools/docker.sh start, or dockerd --iptables=false) or set docker:host or DOCKER_HOST to one that runs",
  );
}

/** What the engine and this machine say about the plan's images and ports. */
export async function probeDockerEngine(
  endpoint: DockerEndpoint,
  plan: readonly PlannedContainer[],
): Promise<EngineFacts> {
  const docker = new Docker({ ...endpoint.options, timeout: ENGINE_TIMEOUT_MS });
  try {
    await docker.ping();
  } catch (err) {
    throw engineDown(endpoint.address, err);
  }

  const missingImages: string[] = [];
  for (const image of new Set(plan.map((p) => p.image))) {
    try {
      await docker.getImage(image).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404)
        throw engineDown(endpoint.address, err);
      missingImages.push(image);
    }
  }

  const publishers = (await docker.listContainers())
    .map((c) => ({
      name: (c.Names[0] ?? c.Id).replace(/^\//, ""),
      hostPorts: loopbackHostPorts(c.Ports),
    }))
    .filter((c) => c.hostPorts.length > 0);

  const boundElsewhere = new Map<number, string | undefined>();
  if (endpoint.local) {
    const published = new Set(publishers.flatMap((c) => c.hostPorts));
    for (const port of new Set(plan.map((p) => p.hostPort))) {
      if (published.has(port) || !(await portTaken(port))) continue;
      boundElsewhere.set(port, await listener(port));
    }
  }
  return { address: endpoint.address, missingImages, publishers, boundElsewhere };
}

/** Whether a bind on 127.0.0.1:port fails; the socket is closed again at once. */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(true));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () =>
      server.close(() => resolve(false)),
    );
  });
}

/**
 * The process listening on a TCP port, from Linux's /proc ("process node (pid 12)"); undefined where
 * /proc says nothing (another OS, or a process of another user whose descriptors are not readable).
 */
async function listener(port: number): Promise<string | undefined> {
  try {
    const inodes = new Set<string>();
    const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
    for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      const lines = (await readFile(table, "utf8").catch(() => "")).split("\n").slice(1);
      for (const line of lines) {
        const f = line.trim().split(/\s+/);
        // local_address is ADDR:PORT in hex, st 0A is LISTEN, the inode is the tenth field.
        if (f[1]?.endsWith(`:${hexPort}`) && f[3] === "0A") inodes.add(f[9]);
      }
    }
    if (inodes.size === 0) return undefined;

    for (const pid of (await readdir("/proc")).filter((d) => /^\d+$/.test(d))) {
      const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
      for (const fd of fds) {
        const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode !== undefined && inodes.has(inode)) {
          const comm = (await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "?")).trim();
          return `process ${comm} (pid ${pid})`;
        }
      }
    }
  } catch {
    // Naming the process is a courtesy; the port is taken either way.
  }
  return undefined;
}
