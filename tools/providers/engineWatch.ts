/**
 * Ends a stand-in provider whose engine has gone away. The engine stops its plugins when it exits, but a CLI
 * killed outright (SIGKILL, the OOM killer) cannot, and Node's provider server never notices: the stand-in
 * would run on with nobody to serve. The official providers watch the engine's address and exit; so do the
 * stand-ins, by opening a TCP connection to it every `intervalMs` and exiting after two refusals in a row.
 */
import * as net from "node:net";

/** The engine's address among a plugin's arguments: the first `host:port` (IPv6 in brackets). */
export function engineAddressOf(
  args: readonly string[],
): { host: string; port: number } | undefined {
  for (const arg of args) {
    const m = /^\[?([\w.:-]+?)\]?:(\d{1,5})$/.exec(arg);
    if (m) return { host: m[1], port: Number(m[2]) };
  }
  return undefined;
}

export function exitWhenEngineGone(args: readonly string[], intervalMs = 2000): void {
  const engine = engineAddressOf(args);
  if (!engine) return;
  let refusals = 0;
  const check = () => {
    const socket = net.connect({ host: engine.host, port: engine.port });
    socket.setTimeout(intervalMs);
    socket.once("connect", () => {
      refusals = 0;
      socket.destroy();
    });
    socket.once("timeout", () => socket.destroy());
    socket.once("error", (e: NodeJS.ErrnoException) => {
      socket.destroy();
      if (e.code !== "ECONNREFUSED") return;
      refusals += 1;
      if (refusals >= 2) {
        process.stderr.write(
          `mesh-pki stand-in: the engine at ${engine.host}:${engine.port} is gone; exiting\n`,
        );
        process.exit(0);
      }
    });
  };
  setInterval(check, intervalMs).unref();
}
