/**
 * Why a TLS server refuses a client certificate. A Node server with `rejectUnauthorized: true` drops the
 * connection after verifying the client's chain without saying why; this server verifies the same way
 * (OpenSSL's verifier against `server.caPem`) but keeps the connection long enough to read the verdict,
 * `socket.authorized` and `socket.authorizationError`, and then closes it. Loopback only, bounded waits.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { Party } from "./tls";

export interface ServerVerdict {
  /** Whether the server's verifier accepted the client's certificate chain. */
  authorized: boolean;
  /** The verifier's error code when it did not, e.g. UNABLE_TO_GET_ISSUER_CERT_LOCALLY. */
  authorizationError?: string;
  /** Set when the handshake itself did not complete. */
  handshakeError?: string;
}

const TIMEOUT_MS = 5_000;

export async function serverVerdict(
  server: Party,
  client: Partial<Party> & { caPem: string },
  servername: string,
): Promise<ServerVerdict> {
  let verdict: ServerVerdict | undefined;
  const tlsServer = tls.createServer({
    cert: server.certPem,
    key: server.keyPem,
    ca: server.caPem,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: "TLSv1.3",
  });
  const decided = new Promise<void>((resolve) => {
    tlsServer.on("secureConnection", (socket) => {
      const reason = socket.authorizationError as unknown;
      verdict = socket.authorized
        ? { authorized: true }
        : { authorized: false, authorizationError: String(reason) };
      socket.destroy();
      resolve();
    });
    tlsServer.on("tlsClientError", (err: NodeJS.ErrnoException) => {
      verdict = { authorized: false, handshakeError: err.code ?? err.message };
      resolve();
    });
  });
  await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
  const port = (tlsServer.address() as net.AddressInfo).port;

  try {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      servername,
      cert: client.certPem,
      key: client.keyPem,
      ca: client.caPem,
      minVersion: "TLSv1.3",
      timeout: TIMEOUT_MS,
    });
    socket.on("error", () => undefined);
    await Promise.race([decided, new Promise((r) => setTimeout(r, TIMEOUT_MS))]);
    socket.destroy();
  } finally {
    await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
  }
  return verdict ?? { authorized: false, handshakeError: "timeout" };
}
