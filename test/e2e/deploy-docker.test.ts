/**
 * The docker deploy target through the real engine, the docker plugin (the stand-in, or the one
 * MESH_PKI_DOCKER_PLUGIN names) and a real Docker engine (the one that answers, or a dockerd started here
 * and stopped at the end). A dev-like stack runs the six reference services from the image built from
 * service/Dockerfile: every service completes an mTLS request to every service from inside its container
 * (36 pairs, identities logged); curl with a service certificate gets /health and /metrics; no client
 * certificate, or one from another CA, is refused and counted; a second up changes nothing (its own ports
 * do not stop the preflight); a forced rotation replaces the rotated container once and the mesh keeps
 * working; destroy leaves nothing. Bad input is deploy-docker-bad-input.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFERENCE_SERVICES } from "../../components/config";
import { DOCKER_CHECKSUM_LABEL } from "../../components/deploy/dockerSpec";
import { certChecksum } from "../../components/deploy/kubernetesSpec";
import { curl, DockerEngine, dockerPlugin, eventually, useDockerPlugin } from "../support/docker";
import { EngineSession, TestStack } from "../support/engine";
import { rotationOf } from "../support/kubeDeploy";
import { openssl, PemDir } from "../support/pem";

const SERVICES: string[] = [...REFERENCE_SERVICES];
const IMAGE = "mesh-pki/reference-service:e2e";
const STACK = "e2e-docker";
const PREFIX = `mesh-pki-${STACK}`;
const BASE_PORT = 28443;
const PROMETHEUS_PORT = 29090;
const port = (service: string) => BASE_PORT + SERVICES.indexOf(service);
const deployConfig = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    target: "docker",
    image: IMAGE,
    hostPortBase: BASE_PORT,
    prometheusHostPort: PROMETHEUS_PORT,
    ...extra,
  });

let engine: DockerEngine;
let session: EngineSession;
let pems: PemDir;
let stack: TestStack;
/** Per service, the files curl presents: its chain and key, and the trust bundle. */
const files: Record<string, { cert: string; key: string; ca: string }> = {};
let firstUp: Awaited<ReturnType<TestStack["up"]>>;

async function readIdentities(): Promise<
  Record<string, { fingerprintSha256: string; chainPem: string }>
> {
  const outputs = await stack.outputs();
  const services = outputs.services.value as Record<
    string,
    { chainPem: string; fingerprintSha256: string }
  >;
  const keys = outputs.serviceKeyPems.value as Record<string, string>;
  const ca = await pems.write("ca.crt", outputs.trustBundlePem.value as string);
  for (const s of SERVICES) {
    files[s] = {
      cert: await pems.write(`${s}.crt`, services[s].chainPem),
      key: await pems.write(`${s}.key`, keys[s]),
      ca,
    };
  }
  return services;
}

beforeAll(async () => {
  engine = await DockerEngine.ensure();
  await engine.buildServiceImage(IMAGE);
  await engine.buildPrometheusImage();
  // A run that was killed may have left its objects; they are this test's own (by name).
  await engine.removeNamed(`${PREFIX}`);
  session = await EngineSession.start("deploy-docker");
  pems = await PemDir.create("deploy-docker");
  stack = await session.projectStack({
    stackName: STACK,
    config: {
      "mesh-pki:deploy": deployConfig(),
      "mesh-pki:services": JSON.stringify(Object.fromEntries(SERVICES.map((s) => [s, {}]))),
    },
  });
  useDockerPlugin(stack, await dockerPlugin());
  firstUp = await stack.up();
  await readIdentities();
});

afterAll(async () => {
  try {
    await session?.cleanup();
    await engine?.removeNamed(PREFIX);
    await pems?.remove();
  } finally {
    await engine?.stop();
  }
});

/** Every ordered pair: `from` asks its own container to call `to` with its client certificate. */
async function matrix(): Promise<{ from: string; to: string; ok: boolean; server: string }[]> {
  const results = [];
  for (const from of SERVICES) {
    for (const to of SERVICES) {
      const r = await curl(port(from), `/call?peer=${to}`, files[from]);
      const body = r.ok
        ? (JSON.parse(r.body) as { server: string })
        : { server: r.error || r.body };
      results.push({ from, to, ok: r.ok, server: body.server });
    }
  }
  return results;
}

async function containerIds(): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const s of SERVICES) {
    ids[s] = (await engine.client.getContainer(`${PREFIX}-${s}`).inspect()).Id;
  }
  return ids;
}

describe("the dev-like stack on Docker", () => {
  it("runs six containers on one network, ports on 127.0.0.1 only, files with their modes", async () => {
    expect(firstUp.summary.result).toBe("succeeded");
    const objects = await engine.objectsNamed(PREFIX);
    expect(objects.networks).toEqual([PREFIX]);
    // The six services and the Prometheus that evaluates the mesh's alert rules.
    expect(objects.containers).toEqual(
      [...SERVICES.map((s) => `${PREFIX}-${s}`), `${PREFIX}-prometheus`].sort(),
    );

    for (const s of SERVICES) {
      const info = await engine.client.getContainer(`${PREFIX}-${s}`).inspect();
      expect(info.State.Running).toBe(true);
      expect(info.HostConfig.PortBindings).toEqual({
        "8443/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port(s)) }],
      });
      expect(info.Config.Env).toContain(`SERVICE_NAME=${s}`);
      expect(info.Config.Env.some((e) => e.includes("PRIVATE KEY"))).toBe(false);
      expect(Object.keys(info.NetworkSettings.Networks)).toEqual([PREFIX]);
    }

    const exec = await engine.client.getContainer(`${PREFIX}-gateway`).exec({
      Cmd: [
        "stat",
        "-c",
        "%a %n",
        "/etc/mesh-pki/tls/tls.crt",
        "/etc/mesh-pki/tls/tls.key",
        "/etc/mesh-pki/tls/ca.crt",
      ],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({});
    const out = await new Promise<string>((resolve) => {
      let text = "";
      stream.on("data", (d: Buffer) => (text += d.toString("utf8")));
      stream.on("end", () => resolve(text));
    });
    expect(out).toContain("444 /etc/mesh-pki/tls/tls.crt");
    expect(out).toContain("400 /etc/mesh-pki/tls/tls.key");
    expect(out).toContain("444 /etc/mesh-pki/tls/ca.crt");
  });

  it("completes an mTLS request from every service to every service (36 pairs), identities logged", async () => {
    const results = await matrix();
    expect(results).toHaveLength(36);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    for (const r of results) expect(r.server).toBe(`spiffe://ashchan.local/service/${r.to}`);

    for (const to of SERVICES) {
      const logs = await engine.logs(`${PREFIX}-${to}`);
      for (const from of SERVICES) {
        expect(logs).toContain(`"event":"peer","peer":"spiffe://ashchan.local/service/${from}"`);
      }
    }
  });

  it("answers /health and /metrics to curl with a service certificate", async () => {
    const health = await curl(port("boards"), "/health", files.search);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({
      status: "ok",
      service: "boards",
      peer: "spiffe://ashchan.local/service/search",
      protocol: "TLSv1.3",
    });
    const metrics = await curl(port("boards"), "/metrics", files.search);
    expect(metrics.status).toBe(200);
    const days = Number(
      /^ssl_certificate_expiry_days\{service="boards"\} (\S+)$/m.exec(metrics.body)?.[1],
    );
    expect(days).toBeGreaterThan(300);
    expect(days).toBeLessThanOrEqual(366);
  });

  it("refuses no client certificate and another CA's certificate, and counts both", async () => {
    const other = {
      caKey: `${pems.dir}/other-ca.key`,
      ca: `${pems.dir}/other-ca.crt`,
      key: `${pems.dir}/other.key`,
      csr: `${pems.dir}/other.csr`,
      cert: `${pems.dir}/other.crt`,
    };
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    expect(
      (
        await openssl([
          "req",
          "-x509",
          ...ec,
          "-keyout",
          other.caKey,
          "-out",
          other.ca,
          "-subj",
          "/CN=other-ca",
          "-days",
          "2",
        ])
      ).ok,
    ).toBe(true);
    expect(
      (
        await openssl([
          "req",
          ...ec,
          "-keyout",
          other.key,
          "-out",
          other.csr,
          "-subj",
          "/CN=gateway",
        ])
      ).ok,
    ).toBe(true);
    expect(
      (
        await openssl([
          "x509",
          "-req",
          "-in",
          other.csr,
          "-CA",
          other.ca,
          "-CAkey",
          other.caKey,
          "-out",
          other.cert,
          "-days",
          "2",
        ])
      ).ok,
    ).toBe(true);

    const none = await curl(port("media"), "/health", { ca: files.media.ca });
    expect(none.ok).toBe(false);
    // The service judges the client's certificate after the TLS 1.3 handshake and closes the connection
    // before reading the request: curl sees no answer.
    expect(none.error).toMatch(/certificate required|empty reply|reset/i);
    const foreign = await curl(port("media"), "/health", {
      ca: files.media.ca,
      cert: other.cert,
      key: other.key,
    });
    expect(foreign.ok).toBe(false);
    expect(foreign.error).toMatch(/unknown ca|alert|empty reply|reset/i);

    const metrics = await curl(port("media"), "/metrics", files.gateway);
    const count = (reason: string) =>
      Number(
        new RegExp(
          `^mtls_handshake_failures_total\\{reason="${reason}",service="media"\\} (\\d+)$`,
          "m",
        ).exec(metrics.body)?.[1] ?? 0,
      );
    expect(count("no_client_certificate")).toBeGreaterThanOrEqual(1);
    expect(count("unknown_ca")).toBeGreaterThanOrEqual(1);
  });

  it("runs Prometheus with the mesh's alert rules loaded, 9090 on 127.0.0.1 only", async () => {
    const info = await engine.client.getContainer(`${PREFIX}-prometheus`).inspect();
    expect(info.State.Running).toBe(true);
    expect(info.HostConfig.PortBindings).toEqual({
      "9090/tcp": [{ HostIp: "127.0.0.1", HostPort: String(PROMETHEUS_PORT) }],
    });
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([PREFIX]);

    let groups: { name: string; file: string; rules: { name: string; type: string }[] }[] = [];
    // At most 60 × 500 ms = 30 s for Prometheus to start and load the rule file.
    const loaded = await eventually(
      async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/rules`);
          if (!res.ok) return false;
          const body = (await res.json()) as { data: { groups: typeof groups } };
          groups = body.data.groups;
          return groups.length > 0;
        } catch {
          return false;
        }
      },
      60,
      500,
    );
    expect(loaded).toBe(true);
    expect(groups.map((g) => g.name).sort()).toEqual(
      ["mesh-pki-certificates", "mesh-pki-handshakes"].sort(),
    );
    for (const g of groups) expect(g.file).toBe("/etc/prometheus/rules/mesh-pki.rules.yml");
    const alerts = groups.flatMap((g) => g.rules.filter((r) => r.type === "alerting"));
    expect(alerts.map((r) => r.name)).toContain("MeshCertificateRotationOverdue");
    const rulesYaml = (await stack.outputs()).alertRulesYaml.value as string;
    const expected = [...rulesYaml.matchAll(/^\s*- alert: (\S+)$/gm)].map((m) => m[1]);
    expect(expected.length).toBeGreaterThan(1);
    expect(alerts.map((r) => r.name).sort()).toEqual([...expected].sort());
  });

  it("changes nothing on a second up with the same certificates, its own ports no obstacle", async () => {
    const before = await containerIds();
    const preview = await stack.preview();
    expect(preview.steps.filter((s) => s.op !== "same")).toEqual([]);
    // Every host port is held by this stack's own container of the same name: the preflight lets it be.
    const again = await stack.up();
    expect(again.summary.result).toBe("succeeded");
    expect(Object.keys(again.summary.resourceChanges ?? {})).toEqual(["same"]);
    expect(await containerIds()).toEqual(before);
  });

  it("replaces the rotated service's container once, and the mesh keeps working", async () => {
    const before = await containerIds();
    const identitiesBefore = await readIdentities();
    const since = Math.floor(Date.now() / 1000) - 1;

    const rotation = rotationOf("auth", SERVICES);
    await stack.setConfig({ "mesh-pki:services": JSON.stringify(rotation.services) });
    const result = await stack.up();
    expect(result.summary.result).toBe("succeeded");

    const after = await containerIds();
    for (const s of SERVICES) {
      if (s === "auth") expect(after[s]).not.toBe(before[s]);
      else expect(after[s]).toBe(before[s]);
    }
    const created = await engine.containersCreated(since, Math.floor(Date.now() / 1000) + 1);
    // The alert rules carry each certificate's not-after, so Prometheus gets the new rules too.
    expect([...created].sort()).toEqual([`${PREFIX}-auth`, `${PREFIX}-prometheus`].sort());

    const identities = await readIdentities();
    expect(identities.auth.fingerprintSha256).not.toBe(identitiesBefore.auth.fingerprintSha256);
    const bundle = (await stack.outputs()).trustBundlePem.value as string;
    const label = (await engine.client.getContainer(`${PREFIX}-auth`).inspect()).Config.Labels[
      DOCKER_CHECKSUM_LABEL
    ];
    expect(label).toBe(certChecksum(identities.auth.chainPem, bundle));

    const ready = await eventually(
      async () => (await curl(port("auth"), "/health", files.gateway)).ok,
    );
    expect(ready).toBe(true);
    const results = await matrix();
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it("leaves no container or network after destroy", async () => {
    await stack.destroy();
    expect(await engine.objectsNamed(PREFIX)).toEqual({ containers: [], networks: [] });
    await expect(engine.client.getContainer(`${PREFIX}-prometheus`).inspect()).rejects.toThrow();
  });
});
