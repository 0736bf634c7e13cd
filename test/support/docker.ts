// A Docker engine for end-to-end tests: the one that answers on this machine, or a dockerd started here
// (tools/docker.sh start) and stopped again by stop(); the reference service image built locally; mTLS
// requests with curl to 127.0.0.1; and the Docker objects a stack left behind. Every wait is bounded.

import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { repoRoot } from "./engine";

const run = promisify(execFile);
const script = path.join(repoRoot, "tools/docker.sh");

export class DockerEngine {
  readonly client = new Docker();

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
