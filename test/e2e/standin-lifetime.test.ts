/**
 * A stand-in provider exits when its engine goes away. The engine stops its plugins when it exits, but a
 * CLI killed outright cannot, and Node's provider server never notices on its own: before
 * tools/providers/engineWatch.ts, each such kill left a stand-in running for good.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { engineEnvironment, repoRoot } from "../support/engine";

let children: ChildProcess[] = [];
let servers: net.Server[] = [];

beforeAll(async () => {
  await engineEnvironment(); // compiles dist/ and writes the plugin shims
});

afterEach(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  for (const server of servers) server.close();
  children = [];
  servers = [];
});

/** A stand-in for the engine: a TCP listener on loopback that accepts and drops connections. */
async function fakeEngine(): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((socket) => socket.destroy());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as net.AddressInfo).port };
}

function exited(child: ChildProcess, withinMs: number): Promise<boolean> {
  if (child.exitCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), withinMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe.each(["tls", "docker"])("the %s stand-in", (provider) => {
  it("serves while its engine is there and exits within seconds once it is gone", async () => {
    const engine = await fakeEngine();
    const child = spawn(
      path.join(repoRoot, "dist/plugins", `pulumi-resource-${provider}`),
      [`127.0.0.1:${engine.port}`],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(child);
    // A plugin prints the port it serves on when it is ready.
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${provider} stand-in did not start`)),
        30_000,
      );
      child.stdout!.once("data", (d: Buffer) => {
        clearTimeout(timer);
        resolve(d.toString().trim());
      });
    });
    expect(port).toMatch(/^\d+$/);
    expect(await exited(child, 5_000)).toBe(false);

    await new Promise((resolve) => engine.server.close(resolve));
    expect(await exited(child, 15_000)).toBe(true);
  });
});
