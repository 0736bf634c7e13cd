/**
 * Handshakes that must fail, against a mesh the real engine made (intermediate mode, two services), each
 * asserted with the error the failing side reports, and each next to a control that differs from it in the
 * one thing under test. Certificates the mesh would never issue are made with openssl: signed by another
 * CA, or by the mesh's own issuer (its key read from the decrypted state) with a usage left out.
 */
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineSession, TestStack } from "../support/engine";
import { openssl, PemDir } from "../support/pem";
import { HandshakeResult, mutualHandshake, Party } from "../support/tls";
import { serverVerdict } from "../support/tlsVerdict";

const TRUST_DOMAIN = "ashchan.local";

let session: EngineSession;
let stack: TestStack;
let pems: PemDir;
let bundle: string;
let issuerPem: string;
let services: Record<string, { certPem: string; chainPem: string; spiffeId: string }>;
let keys: Record<string, string>;
let issuerKeyFile: string;
let issuerCertFile: string;

/** A secret value of the decrypted state: `{ plaintext: "<JSON>" }` or the value itself. */
function reveal(value: unknown): string {
  if (typeof value === "string") return value;
  const plaintext = (value as { plaintext?: string }).plaintext;
  if (plaintext === undefined) throw new Error("not a secret value of the state");
  return JSON.parse(plaintext) as string;
}

/** The private key PEM of the tls.PrivateKey named `name`, from the state with secrets decrypted. */
async function stateKey(name: string): Promise<string> {
  const state = await stack.stack.exportStack();
  const resources = (state.deployment?.resources ?? []) as Array<{
    urn: string;
    type: string;
    outputs?: Record<string, unknown>;
  }>;
  const key = resources.find(
    (r) => r.type === "tls:index/privateKey:PrivateKey" && r.urn.endsWith(`::${name}`),
  );
  if (!key?.outputs) throw new Error(`no tls.PrivateKey ${name} in the state`);
  return reveal(key.outputs.privateKeyPem);
}

interface LeafOptions {
  /** Extended key usages in openssl's names. */
  eku: string;
  basicConstraints?: string;
  keyUsage?: string;
}

/** A P-256 key and a certificate with the SANs of `service`, signed by `ca` with openssl. */
async function opensslLeaf(
  label: string,
  service: string,
  ca: { certFile: string; keyFile: string },
  options: LeafOptions,
): Promise<{ certPem: string; keyPem: string; certFile: string; keyFile: string }> {
  const keyFile = `${pems.dir}/${label}.key`;
  const csrFile = `${pems.dir}/${label}.csr`;
  const certFile = `${pems.dir}/${label}.pem`;
  const extFile = await pems.write(
    `${label}.cnf`,
    [
      "[v3]",
      `basicConstraints=critical,${options.basicConstraints ?? "CA:FALSE"}`,
      `keyUsage=critical,${options.keyUsage ?? "digitalSignature"}`,
      ...(options.eku === "" ? [] : [`extendedKeyUsage=${options.eku}`]),
      "subjectKeyIdentifier=hash",
      "authorityKeyIdentifier=keyid",
      `subjectAltName=DNS:${service},DNS:localhost,DNS:${service}.${TRUST_DOMAIN},URI:spiffe://${TRUST_DOMAIN}/service/${service}`,
      "",
    ].join("\n"),
  );
  const req = await openssl([
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    keyFile,
    "-subj",
    `/C=US/O=Ashchan/CN=${service}`,
    "-out",
    csrFile,
  ]);
  expect(req.ok, req.output).toBe(true);
  const signed = await openssl([
    "x509",
    "-req",
    "-in",
    csrFile,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    "-set_serial",
    `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`,
    "-days",
    "30",
    "-extfile",
    extFile,
    "-extensions",
    "v3",
    "-out",
    certFile,
  ]);
  expect(signed.ok, signed.output).toBe(true);
  return {
    certPem: await readFile(certFile, "utf8"),
    keyPem: await readFile(keyFile, "utf8"),
    certFile,
    keyFile,
  };
}

function server(name: string): Party {
  return { certPem: services[name].chainPem, keyPem: keys[name], caPem: bundle };
}

function client(name: string): Party {
  return { certPem: services[name].chainPem, keyPem: keys[name], caPem: bundle };
}

/** The gateway serves; whoever connects asks for gateway.<trust domain> unless told otherwise. */
function toGateway(from: Partial<Party>, servername = `gateway.${TRUST_DOMAIN}`) {
  return mutualHandshake(server("gateway"), { caPem: bundle, ...from }, servername);
}

/** What the gateway's verifier says of a client certificate (see tlsVerdict.ts). */
function gatewayVerdict(from: Partial<Party>) {
  return serverVerdict(server("gateway"), { caPem: bundle, ...from }, `gateway.${TRUST_DOMAIN}`);
}

/**
 * A Node server that rejects a client chain drops the connection without an alert, so the client may see
 * only a closed socket: the refusal shows as no handshake and no identity seen by the server.
 */
function expectRefusedByServer(result: HandshakeResult) {
  expect(result.ok).toBe(false);
  expect(result.serverSawClient).toBeUndefined();
}

function expectSuccess(result: HandshakeResult) {
  expect(result).toMatchObject({ ok: true, protocol: "TLSv1.3" });
  expect(result.clientError).toBeUndefined();
  expect(result.serverError).toBeUndefined();
}

beforeAll(async () => {
  session = await EngineSession.start("pki-handshakes");
  pems = await PemDir.create("pki-handshakes-pems");
  stack = await session.projectStack({
    stackName: "pki-handshakes",
    config: {
      "mesh-pki:issuer": JSON.stringify({ mode: "intermediate" }),
      "mesh-pki:services": JSON.stringify({ gateway: {}, auth: {} }),
      "mesh-pki:deploy": JSON.stringify({ target: "files", directory: `${pems.dir}/certs` }),
    },
  });
  await stack.up();
  const outputs = await stack.outputs();
  bundle = outputs.trustBundlePem.value;
  issuerPem = outputs.issuerCertPem.value;
  services = outputs.services.value;
  keys = outputs.serviceKeyPems.value;
  issuerCertFile = await pems.write("issuer.pem", issuerPem);
  issuerKeyFile = await pems.write("issuer.key", await stateKey("mesh-issuer-key"));
});

afterAll(async () => {
  await session?.cleanup();
  await pems?.remove();
});

describe("mutual TLS between mesh services refuses what it must", () => {
  it("control: auth, with its mesh identity, completes a TLS 1.3 handshake with gateway", async () => {
    const result = await toGateway(client("auth"));
    expectSuccess(result);
    expect(result.serverSawClient).toBe(services.auth.spiffeId);
  });

  it("a client certificate from another CA (same names, same profile) is refused by the server", async () => {
    const caKey = `${pems.dir}/foreign-ca.key`;
    const caCert = `${pems.dir}/foreign-ca.pem`;
    // The impostor root even borrows the mesh root's subject: only the key decides.
    const made = await openssl([
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      caKey,
      "-out",
      caCert,
      "-days",
      "30",
      "-subj",
      "/C=US/O=Ashchan/CN=ashchan-ca",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    ]);
    expect(made.ok, made.output).toBe(true);
    const impostor = await opensslLeaf(
      "foreign-auth",
      "auth",
      { certFile: caCert, keyFile: caKey },
      {
        eku: "serverAuth,clientAuth",
      },
    );

    const impostorParty = { certPem: impostor.certPem, keyPem: impostor.keyPem };
    expectRefusedByServer(await toGateway(impostorParty));
    expect(await gatewayVerdict(impostorParty)).toEqual({
      authorized: false,
      authorizationError: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
    expect(await gatewayVerdict(client("auth"))).toEqual({ authorized: true });
  });

  it("a client certificate from the mesh issuer without client_auth is refused; with it, accepted", async () => {
    const ca = { certFile: issuerCertFile, keyFile: issuerKeyFile };
    const withUsage = await opensslLeaf("auth-client-auth", "auth", ca, {
      eku: "serverAuth,clientAuth",
    });
    const control = await toGateway({
      certPem: withUsage.certPem + issuerPem,
      keyPem: withUsage.keyPem,
    });
    expectSuccess(control);
    expect(control.serverSawClient).toBe(services.auth.spiffeId);

    const serverOnly = await opensslLeaf("auth-server-only", "auth", ca, { eku: "serverAuth" });
    expect(new X509Certificate(serverOnly.certPem).keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    const serverOnlyParty = { certPem: serverOnly.certPem + issuerPem, keyPem: serverOnly.keyPem };
    expectRefusedByServer(await toGateway(serverOnlyParty));
    expect(await gatewayVerdict(serverOnlyParty)).toEqual({
      authorized: false,
      authorizationError: "INVALID_PURPOSE",
    });

    // openssl, as an independent verifier, gives the same reason for the client purpose only.
    const bundleFile = await pems.write("bundle.pem", bundle);
    const asClient = await openssl([
      "verify",
      "-purpose",
      "sslclient",
      "-CAfile",
      bundleFile,
      "-untrusted",
      issuerCertFile,
      serverOnly.certFile,
    ]);
    expect(asClient.ok).toBe(false);
    expect(asClient.output).toContain("unsuitable certificate purpose");
    const asServer = await openssl([
      "verify",
      "-purpose",
      "sslserver",
      "-CAfile",
      bundleFile,
      "-untrusted",
      issuerCertFile,
      serverOnly.certFile,
    ]);
    expect(asServer.output).toContain(": OK");
  });

  it("a server name that is not in the server's SANs is refused by the client", async () => {
    const control = await toGateway(client("auth"), "gateway");
    expectSuccess(control);
    const result = await toGateway(client("auth"), `billing.${TRUST_DOMAIN}`);
    expect(result.ok).toBe(false);
    expect(result.clientError).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
  });

  it("a client that offers at most TLS 1.2 cannot talk to the TLS 1.3-only server", async () => {
    const result = await toGateway({
      ...client("auth"),
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.2",
    });
    expect(result.ok).toBe(false);
    expect(result.protocol).toBeUndefined();
    expect(result.clientError).toBe("ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION");
    expect(result.serverError).toBe("ERR_SSL_UNSUPPORTED_PROTOCOL");
  });

  it("a client without a certificate is refused by the server", async () => {
    const result = await toGateway({});
    expect(result.ok).toBe(false);
    expect(result.serverSawClient).toBeUndefined();
    expect(result.serverError).toBe("ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE");
    expect(result.clientError).toBe("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED");
  });

  it("a CA under the intermediate cannot extend the chain: the root's pathlen:1 bounds it", async () => {
    const subCa = await opensslLeaf(
      "sub-ca",
      "rogue",
      { certFile: issuerCertFile, keyFile: issuerKeyFile },
      {
        eku: "",
        basicConstraints: "CA:TRUE",
        keyUsage: "keyCertSign,cRLSign,digitalSignature",
      },
    );
    const leaf = await opensslLeaf("sub-ca-leaf", "auth", subCa, { eku: "serverAuth,clientAuth" });
    const untrusted = await pems.write("sub-ca-chain.pem", subCa.certPem + issuerPem);
    const bundleFile = await pems.write("bundle.pem", bundle);
    const result = await openssl([
      "verify",
      "-CAfile",
      bundleFile,
      "-untrusted",
      untrusted,
      leaf.certFile,
    ]);
    expect(result.ok).toBe(false);
    expect(result.output).toContain("path length constraint exceeded");

    // Control: the same recipe signed by the intermediate directly verifies.
    const direct = await opensslLeaf(
      "direct-leaf",
      "auth",
      { certFile: issuerCertFile, keyFile: issuerKeyFile },
      {
        eku: "serverAuth,clientAuth",
      },
    );
    const ok = await openssl([
      "verify",
      "-CAfile",
      bundleFile,
      "-untrusted",
      issuerCertFile,
      direct.certFile,
    ]);
    expect(ok.output).toContain(": OK");
  });
});
