// The mesh-pki reference service: a small mTLS server that follows the environment contract of the design.
// It requires and verifies client certificates (TLS 1.3 by default), answers /health, logs each peer's
// identity (SPIFFE ID, else CN), serves Prometheus metrics, rereads its files when they change, and calls a
// peer with its client certificate on /call?peer=<name>, so a mesh can be proven from inside.
import { readFileSync, watchFile } from "node:fs";
import https from "node:https";
import { X509Certificate } from "node:crypto";
import client from "prom-client";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === "") {
    console.error(`mesh-pki reference service: ${name} is not set; the deploy target sets it`);
    process.exit(2);
  }
  return value;
};

const service = env("SERVICE_NAME");
const port = Number(env("MTLS_PORT", "8443"));
const files = {
  cert: env("MTLS_CERT_FILE"),
  key: env("MTLS_KEY_FILE"),
  ca: env("MTLS_CA_FILE"),
  clientCert: env("MTLS_CLIENT_CERT_FILE"),
  clientKey: env("MTLS_CLIENT_KEY_FILE"),
};
const minVersion = env("MTLS_MIN_VERSION", "TLSv1.3");
const ciphers = process.env.MTLS_CIPHERS || undefined;
/** How often the files are polled for a change; polling works on every filesystem a container has. */
const WATCH_INTERVAL_MS = 2000;
/** A call to a peer gives up after this long. */
const CALL_TIMEOUT_MS = 5000;

function log(event, fields = {}) {
  console.log(JSON.stringify({ time: new Date().toISOString(), service, event, ...fields }));
}

// Metrics: the names the alert rules of mesh-pki read.
const registry = new client.Registry();
registry.setDefaultLabels({ service });
const handshakeFailures = new client.Counter({
  name: "mtls_handshake_failures_total",
  help: "TLS handshakes this service refused or that failed, by reason",
  labelNames: ["reason"],
  registers: [registry],
});
new client.Gauge({
  name: "ssl_certificate_expiry_days",
  help: "Days until the certificate in MTLS_CERT_FILE expires, read from the file at each scrape",
  registers: [registry],
  collect() {
    const cert = new X509Certificate(readFileSync(files.cert));
    this.set((Date.parse(cert.validTo) - Date.now()) / 86_400_000);
  },
});
const requests = new client.Counter({
  name: "mtls_requests_total",
  help: "Requests served over mTLS, by peer identity and path",
  labelNames: ["peer", "path"],
  registers: [registry],
});

function tlsFiles() {
  return {
    cert: readFileSync(files.cert),
    key: readFileSync(files.key),
    ca: readFileSync(files.ca),
    clientCert: readFileSync(files.clientCert),
    clientKey: readFileSync(files.clientKey),
  };
}

let material = tlsFiles();
const serverOptions = () => ({
  cert: material.cert,
  key: material.key,
  ca: material.ca,
  minVersion,
  ciphers,
  requestCert: true,
  // Verified here, below, rather than by Node: with rejectUnauthorized Node drops a client certificate
  // that does not verify without any event, so the refusal could not be counted. A socket whose peer is
  // not authorized is destroyed before a byte of its request is read, and handlers check it again.
  rejectUnauthorized: false,
});

/** The identity a certificate names: its SPIFFE URI SAN, else its subject CN. */
function identityOf(cert) {
  if (!cert || Object.keys(cert).length === 0) return "unknown";
  const spiffe = (cert.subjectaltname ?? "")
    .split(", ")
    .find((san) => san.startsWith("URI:spiffe://"));
  return spiffe ? spiffe.slice("URI:".length) : `CN=${cert.subject?.CN ?? "?"}`;
}

/** A short label value for why a handshake failed. */
function failureReason(err) {
  const code = String(err?.code ?? "");
  const text = `${code} ${err?.message ?? ""}`;
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE|certificate required/i.test(text))
    return "no_client_certificate";
  if (
    /UNKNOWN_CA|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY_LEAF|SELF_SIGNED|unable to get (local )?issuer|self[- ]signed|CERTIFICATE_VERIFY_FAILED/i.test(
      text,
    )
  ) {
    return "unknown_ca";
  }
  if (/CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|expired/i.test(text)) return "certificate_expired";
  if (/VERSION|PROTOCOL/i.test(text)) return "protocol_version";
  if (/ECONNRESET|socket hang up/i.test(text)) return "connection_reset";
  return "other";
}

function callPeer(peer, peerPort) {
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: peer,
        port: peerPort,
        path: "/health",
        servername: peer,
        cert: material.clientCert,
        key: material.clientKey,
        ca: material.ca,
        minVersion,
        ciphers,
        timeout: CALL_TIMEOUT_MS,
        agent: false,
      },
      (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => {
          const server = identityOf(res.socket.getPeerCertificate());
          log("called", {
            peer: server,
            status: res.statusCode,
            protocol: res.socket.getProtocol(),
          });
          resolve({
            ok: res.statusCode === 200,
            status: res.statusCode,
            server,
            body: safeJson(body),
          });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${CALL_TIMEOUT_MS} ms`)));
    req.on("error", (err) => {
      log("call-failed", { peer, error: err.message });
      resolve({ ok: false, error: err.message, code: err.code });
    });
    req.end();
  });
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function send(res, status, body, type = "application/json") {
  res.writeHead(status, { "content-type": type });
  res.end(type === "application/json" ? JSON.stringify(body) + "\n" : body);
}

const server = https.createServer(serverOptions(), async (req, res) => {
  if (!req.socket.authorized) {
    req.socket.destroy();
    return;
  }
  const peer = identityOf(req.socket.getPeerCertificate());
  const url = new URL(req.url ?? "/", "https://localhost");
  requests.inc({ peer, path: url.pathname });
  try {
    if (url.pathname === "/health") {
      send(res, 200, { status: "ok", service, peer, protocol: req.socket.getProtocol() });
    } else if (url.pathname === "/metrics") {
      send(res, 200, await registry.metrics(), registry.contentType);
    } else if (url.pathname === "/call") {
      const target = url.searchParams.get("peer");
      if (!target || !/^[a-z0-9-]{1,63}$/.test(target)) {
        send(res, 400, { error: "name a peer: /call?peer=<service name>" });
        return;
      }
      const result = await callPeer(target, Number(url.searchParams.get("port") ?? port));
      send(res, result.ok ? 200 : 502, { caller: service, peer: target, ...result });
    } else {
      send(res, 404, {
        error: `no route ${url.pathname}; use /health, /metrics or /call?peer=<name>`,
      });
    }
  } catch (err) {
    send(res, 500, { error: err.message });
  }
});

server.on("secureConnection", (socket) => {
  const cert = socket.getPeerCertificate();
  if (!socket.authorized) {
    const missing = !cert || Object.keys(cert).length === 0;
    const reason = missing
      ? "no_client_certificate"
      : failureReason({ code: socket.authorizationError });
    handshakeFailures.inc({ reason });
    log("handshake-failed", {
      reason,
      error: String(socket.authorizationError ?? "no client certificate"),
      peer: missing ? undefined : identityOf(cert),
      remote: socket.remoteAddress,
    });
    socket.destroy();
    return;
  }
  log("peer", { peer: identityOf(cert), protocol: socket.getProtocol() });
});
server.on("tlsClientError", (err, socket) => {
  const reason = failureReason(err);
  handshakeFailures.inc({ reason });
  log("handshake-failed", { reason, error: err.message, remote: socket.remoteAddress });
});

// A rotated certificate or bundle reaches the server without a restart.
for (const file of new Set(Object.values(files))) {
  watchFile(file, { interval: WATCH_INTERVAL_MS }, () => {
    try {
      material = tlsFiles();
      server.setSecureContext(serverOptions());
      log("reloaded", { file });
    } catch (err) {
      log("reload-failed", { file, error: err.message });
    }
  });
}

server.listen(port, () => log("listening", { port, minVersion }));

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    log("stopping", { signal });
    server.close();
    process.exit(0);
  });
}
