// A Docker engine for end-to-end tests: the one that answers on this machine, or a dockerd started here
// (tools/docker.sh start) and stopped again by stop(); the reference service image built locally; mTLS
// requests with curl to 127.0.0.1; the Docker objects a stack left behind; and the docker plugin the
// suites run (the stand-in, or the executable MESH_PKI_DOCKER_PLUGIN names). Every wait is bounded.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { repoRoot, TestStack } from "./engine";

const run = promisify(execFile);
const script = path.join(repoRoot, "tools/docker.sh");

/** The socket the docker CLI uses when DOCKER_HOST is unset. */
const DEFAULT_ENGINE = "unix:///var/run/docker.sock";

export class DockerEngine {
  readonly client = new Docker();
  /** The engine's address as `docker:host` takes it: DOCKER_HOST, else the default socket. */
  readonly address = process.env.DOCKER_HOST || DEFAULT_ENGINE;

  private constructor(
    /** Whether this process started dockerd, and so must stop it. */
    readonly startedHere: boolean,
  ) {}

  static async answers(): Promise<boolean> {
    try {
      await new Docker().ping();
      return true;
    } catch {
      return false;
    }
  }

  /** Uses the engine that answers, or starts one with tools/docker.sh (stopped by stop()). */
  static async ensure(): Promise<DockerEngine> {
    if (await DockerEngine.answers()) return new DockerEngine(false);
    await run(script, ["start"], { timeout: 60_000 });
    return new DockerEngine(true);
  }

  /** The local Debian and Node.js base images (debootstrap, cached). */
  async buildBaseImages(): Promise<void> {
    await run(script, ["base-image"], { timeout: 20 * 60_000, maxBuffer: 16 * 1024 * 1024 });
  }

  /** Builds service/Dockerfile onto the local Node.js base (debootstrap, cached) as `tag`. */
  async buildServiceImage(tag: string): Promise<void> {
    await run(script, ["service-image", tag], {
      timeout: 20 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  }

  /** Builds mesh-pki/prometheus:local (the host's Debian prometheus on the local Debian base), cached. */
  async buildPrometheusImage(): Promise<void> {
    await run(script, ["prometheus-image"], {
      timeout: 20 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  }

  async stop(): Promise<void> {
    if (this.startedHere) await run(script, ["stop"], { timeout: 60_000 });
  }

  /** Containers (running or not) and networks whose name starts with `prefix`. */
  async objectsNamed(prefix: string): Promise<{ containers: string[]; networks: string[] }> {
    const containers = (await this.client.listContainers({ all: true }))
      .flatMap((c) => c.Names.map((n) => n.replace(/^\//, "")))
      .filter((n) => n.startsWith(prefix));
    const networks = (await this.client.listNetworks())
      .map((n) => n.Name)
      .filter((n) => n.startsWith(prefix));
    return { containers: containers.sort(), networks: networks.sort() };
  }

  /** Names of the containers created between two instants (seconds), from the engine's events. */
  async containersCreated(since: number, until: number): Promise<string[]> {
    const { stdout } = await run(
      "docker",
      [
        "events",
        "--since",
        String(since),
        "--until",
        String(until),
        "--filter",
        "type=container",
        "--filter",
        "event=create",
        "--format",
        "{{.Actor.Attributes.name}}",
      ],
      { timeout: 30_000 },
    );
    return stdout.split("\n").filter((l) => l.trim() !== "");
  }

  async logs(container: string): Promise<string> {
    const out = await this.client.getContainer(container).logs({ stdout: true, stderr: true });
    return out.toString("utf8");
  }

  /**
   * A plain TCP listener on 127.0.0.1 that forwards every connection to this engine, so a test can reach
   * it as tcp://127.0.0.1:<port> (no TLS). `connections` counts what came through; close() ends it.
   */
  async tcpProxy(): Promise<{
    url: string;
    connections: () => number;
    close: () => Promise<void>;
  }> {
    const target = new URL(this.address);
    let count = 0;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
      count++;
      const upstream =
        target.protocol === "unix:"
          ? net.connect({ path: target.pathname })
          : net.connect({ host: target.hostname, port: Number(target.port || 2375) });
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    return {
      url: `tcp://127.0.0.1:${port}`,
      connections: () => count,
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  /** Removes what a failed test may have left: containers and networks named with `prefix`. */
  async removeNamed(prefix: string): Promise<void> {
    const { containers, networks } = await this.objectsNamed(prefix);
    for (const c of containers) await this.client.getContainer(c).remove({ force: true });
    for (const n of networks) await this.client.getNetwork(n).remove();
  }
}

export interface CurlResult {
  ok: boolean;
  status: number;
  body: string;
  error: string;
}

/** curl over mTLS to 127.0.0.1:port; files are paths; a failed handshake is `ok: false`, never a throw. */
export async function curl(
  port: number,
  urlPath: string,
  files: { ca: string; cert?: string; key?: string },
): Promise<CurlResult> {
  const args = [
    "-sS",
    "--max-time",
    "15",
    "--tlsv1.3",
    "--cacert",
    files.ca,
    "-w",
    "\n%{http_code}",
  ];
  if (files.cert) args.push("--cert", files.cert);
  if (files.key) args.push("--key", files.key);
  // The certificates name localhost, and the published port is on 127.0.0.1.
  args.push("--resolve", `localhost:${port}:127.0.0.1`, `https://localhost:${port}${urlPath}`);
  try {
    const { stdout } = await run("curl", args, { timeout: 30_000 });
    const at = stdout.lastIndexOf("\n");
    const status = Number(stdout.slice(at + 1));
    return { ok: status === 200, status, body: stdout.slice(0, at), error: "" };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { ok: false, status: 0, body: "", error: err.stderr || err.message };
  }
}

/** Polls `check` until it is true, at most `attempts` times, `delayMs` apart. */
export async function eventually(
  check: () => Promise<boolean>,
  attempts = 30,
  delayMs = 500,
): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, delayMs));
  }
  return false;
}

/** The `pulumi-resource-docker` the engine runs in these tests. */
export interface DockerPlugin {
  /** A directory to put first on PATH, holding the plugin under the name the engine looks for. */
  readonly pathDir?: string;
  /** Whether it is the mesh-pki stand-in, whose own refusals the suites then check too. */
  readonly isStandIn: boolean;
  /** For messages: the executable, or where the engine finds it. */
  readonly description: string;
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await fs.access(file, fs.constants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * The stand-in (the shim tools/pulumi writes into dist/plugins), or the executable MESH_PKI_DOCKER_PLUGIN
 * names (the official plugin, say), linked as `pulumi-resource-docker` in a directory of its own, one per
 * plugin path and reused, that goes ahead of the shims on PATH. Without either, the engine uses the
 * official plugin from the Pulumi plugin cache (tools/pulumi writes no shim then).
 */
export async function dockerPlugin(
  env: NodeJS.ProcessEnv = process.env,
  shimsDir = path.join(repoRoot, "dist/plugins"),
): Promise<DockerPlugin> {
  const override = env.MESH_PKI_DOCKER_PLUGIN;
  if (override) {
    const plugin = path.resolve(override);
    if (!(await isExecutableFile(plugin))) {
      throw new Error(
        `MESH_PKI_DOCKER_PLUGIN=${override} is not an executable file; point it at a pulumi-resource-docker binary or unset it`,
      );
    }
    const key = createHash("sha1").update(plugin).digest("hex").slice(0, 12);
    const dir = path.join(os.tmpdir(), `mesh-pki-docker-plugin-${key}`);
    await fs.mkdir(dir, { recursive: true });
    await fs.rm(path.join(dir, "pulumi-resource-docker"), { force: true });
    await fs.symlink(plugin, path.join(dir, "pulumi-resource-docker"));
    return { pathDir: dir, isStandIn: false, description: plugin };
  }
  const shim = path.join(shimsDir, "pulumi-resource-docker");
  return (await isExecutableFile(shim))
    ? { isStandIn: true, description: `the mesh-pki stand-in (${shim})` }
    : { isStandIn: false, description: "the official plugin from the Pulumi plugin cache" };
}

/** Makes every command of `stack` run `plugin` for docker resources. */
export function useDockerPlugin(stack: TestStack, plugin: DockerPlugin): void {
  if (plugin.pathDir === undefined) return;
  const envVars = stack.stack.workspace.envVars;
  envVars.PATH = `${plugin.pathDir}:${envVars.PATH ?? process.env.PATH ?? ""}`;
}
