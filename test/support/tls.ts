/**
 * Mutual TLS handshakes on loopback with Node's `tls` module, as an independent client and server for the
 * certificates the engine made. Every server is closed before the function returns and every wait is bounded.
 */
import * as net from "node:net";
import * as tls from "node:tls";

export interface Party {
  certPem: string;
  keyPem: string;
  /** Trust anchors this side verifies its peer against. */
  caPem: string;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ciphers?: string;
}

export interface HandshakeResult {
  ok: boolean;
  /** The protocol the client negotiated, when it did. */
  protocol?: string;
  /** The SPIFFE URI (or CN when there is none) each side saw of its peer. */
  serverSawClient?: string;
  clientSawServer?: string;
  /** What failed, as the failing side reports it: `client: <code or message>` or `server: ...`. */
  clientError?: string;
  serverError?: string;
}

const TIMEOUT_MS = 5_000;

export function peerIdentity(cert: tls.PeerCertificate | undefined): string | undefined {
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const uri = cert.subjectaltname
    ?.split(", ")
    .find((san) => san.startsWith("URI:"))
    ?.slice("URI:".length);
  const cn = cert.subject?.CN;
  return uri ?? (Array.isArray(cn) ? cn[0] : cn);
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  return e.code ?? e.reason ?? e.message;
}

/**
 * One handshake from `client` to a fresh server holding `server`'s identity; the server requires and
 * verifies a client certificate. `servername` is what the client checks the server's SANs against.
 */
export async function mutualHandshake(
  server: Party,
  client: Partial<Party> & { caPem: string },
  servername: string,
): Promise<HandshakeResult> {
  const result: HandshakeResult = { ok: false };
  const tlsServer = tls.createServer({
    cert: server.certPem,
    key: server.keyPem,
    ca: server.caPem,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: server.minVersion ?? "TLSv1.3",
    maxVersion: server.maxVersion,
    ciphers: server.ciphers,
  });
  const serverDone = new Promise<void>((resolve) => {
    tlsServer.on("secureConnection", (socket) => {
      result.serverSawClient = peerIdentity(socket.getPeerCertificate());
      socket.end("ok\n");
      resolve();
    });
    tlsServer.on("tlsClientError", (err) => {
      result.serverError = errorText(err);
      resolve();
    });
  });
  await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
  const port = (tlsServer.address() as net.AddressInfo).port;

  try {
    await new Promise<void>((resolve) => {
      const socket = tls.connect({
        host: "127.0.0.1",
        port,
        servername,
        cert: client.certPem,
        key: client.keyPem,
        ca: client.caPem,
        minVersion: client.minVersion ?? "TLSv1.3",
        maxVersion: client.maxVersion,
        ciphers: client.ciphers,
        timeout: TIMEOUT_MS,
      });
      const finish = (err?: unknown) => {
        if (err) result.clientError = errorText(err);
        socket.destroy();
        resolve();
      };
      socket.on("secureConnect", () => {
        result.protocol = socket.getProtocol() ?? undefined;
        result.clientSawServer = peerIdentity(socket.getPeerCertificate());
      });
      // In TLS 1.3 the server checks the client certificate after the client's handshake is done, so the
      // handshake only counts once the server's first byte arrives.
      socket.once("data", () => {
        result.ok = result.protocol !== undefined;
        finish();
      });
      socket.on("error", finish);
      socket.on("timeout", () => finish(new Error("timeout")));
      socket.on("end", () => finish());
    });
    await Promise.race([serverDone, new Promise((r) => setTimeout(r, TIMEOUT_MS))]);
  } finally {
    await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
  }
  if (result.clientError || result.serverError) result.ok = false;
  return result;
}
