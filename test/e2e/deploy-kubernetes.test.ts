/**
 * The kubernetes deploy target through the real engine and the real kubernetes plugin. First rendered:
 * the manifests parse, their Secrets hold certificates that verify, a rotation changes the checksum. Then
 * against a kube-apiserver started here on 127.0.0.1 (with etcd and the controller manager, no node): up
 * creates the namespace, Secrets, Deployments and Services; kubectl reads back Secrets that verify; a
 * rotation of one service changes its Secret and pod-template checksum only, and a new ReplicaSet appears
 * for it and no other; destroy removes them. A context the kubeconfig lacks stops before any resource.
 */
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKSUM_ANNOTATION } from "../../components/deploy/kubernetesSpec";
import { EngineSession, TestStack } from "../support/engine";
import { KubeCluster } from "../support/kube";
import { KubeObject, rotationOf, SERVICES_UNDER_TEST } from "../support/kubeDeploy";
import { openssl, PemDir } from "../support/pem";

const SERVICES = SERVICES_UNDER_TEST;
const NAMESPACE = "mesh-e2e";

type Manifest = KubeObject;

let session: EngineSession;
let pems: PemDir;

beforeAll(async () => {
  session = await EngineSession.start("deploy-kubernetes");
  pems = await PemDir.create("deploy-kubernetes");
});

afterAll(async () => {
  await session?.cleanup();
  await pems?.remove();
});

const servicesConfig = JSON.stringify(Object.fromEntries(SERVICES.map((s) => [s, {}])));
const decode = (b64: string) => Buffer.from(b64, "base64").toString("utf8");

/** Writes the Secret's files and runs openssl verify of tls.crt against ca.crt. */
async function verifySecret(label: string, data: Record<string, string>): Promise<X509Certificate> {
  expect(Object.keys(data).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
  const ca = await pems.write(`${label}-ca.crt`, decode(data["ca.crt"]));
  const crt = await pems.write(`${label}-tls.crt`, decode(data["tls.crt"]));
  const result = await openssl(["verify", "-CAfile", ca, crt]);
  expect(result.output).toContain(`${crt}: OK`);
  const cert = new X509Certificate(decode(data["tls.crt"]));
  expect(cert.checkPrivateKey(createPrivateKey(decode(data["tls.key"])))).toBe(true);
  return cert;
}

const expectedChecksum = (data: Record<string, string>) =>
  createHash("sha256")
    .update(decode(data["tls.crt"]))
    .update("\0")
    .update(decode(data["ca.crt"]))
    .digest("hex");

describe("rendered manifests", () => {
  let stack: TestStack;
  let dir: string;

  function manifests(): Manifest[] {
    const files = (fs.readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => path.join(dir, f));
    return files.flatMap((f) =>
      parseAllDocuments(fs.readFileSync(f, "utf8")).map((d) => {
        expect(d.errors).toEqual([]);
        return d.toJS() as Manifest;
      }),
    );
  }
  const ofKind = (kind: string) =>
    Object.fromEntries(
      manifests()
        .filter((m) => m.kind === kind)
        .map((m) => [m.metadata.name, m]),
    );

  beforeAll(async () => {
    dir = path.join(pems.dir, "rendered");
    stack = await session.projectStack({
      stackName: "e2e-deploy-render",
      config: {
        "mesh-pki:deploy": JSON.stringify({
          target: "kubernetes",
          namespace: NAMESPACE,
          renderDirectory: dir,
        }),
        "mesh-pki:services": servicesConfig,
      },
    });
    const started = Date.now();
    await stack.up();
    console.log(`render: up took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it("parse as YAML: one namespace, the alert rules, and a Secret, Deployment and Service per service", () => {
    const all = manifests();
    expect(all.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual(
      [
        `Namespace/${NAMESPACE}`,
        "ConfigMap/mesh-pki-alert-rules",
        ...SERVICES.flatMap((s) => [`Secret/${s}-mtls`, `Deployment/${s}`, `Service/${s}`]),
      ].sort(),
    );
    for (const m of all.filter((m) => m.kind !== "Namespace")) {
      expect(m.metadata.namespace).toBe(NAMESPACE);
    }
  });

  it.each(SERVICES)(
    "%s: the Secret holds a certificate that verifies, and the checksum matches it",
    async (s) => {
      const secret = ofKind("Secret")[`${s}-mtls`];
      expect(secret.type).toBe("kubernetes.io/tls");
      const cert = await verifySecret(`render-${s}`, secret.data!);
      expect(cert.subject).toContain(`CN=${s}`);
      const deployment = ofKind("Deployment")[s];
      expect(deployment.spec.template.metadata.annotations[CHECKSUM_ANNOTATION]).toBe(
        expectedChecksum(secret.data!),
      );
      const mounts = deployment.spec.template.spec.containers[0].volumeMounts;
      expect(mounts).toEqual([{ name: "mtls", mountPath: "/etc/mesh-pki/tls", readOnly: true }]);
    },
  );

  it("a rotation of auth changes auth's checksum and no other", async () => {
    const before = ofKind("Deployment");
    const rotation = rotationOf("auth", SERVICES);
    await stack.setConfig({ "mesh-pki:services": JSON.stringify(rotation.services) });
    await stack.up();
    const after = ofKind("Deployment");
    const checksum = (m: Manifest) => m.spec.template.metadata.annotations[CHECKSUM_ANNOTATION];
    console.log(`render: rotated auth by ${rotation.how}`);

    expect(checksum(after.auth)).not.toBe(checksum(before.auth));
    expect(checksum(after.auth)).toBe(expectedChecksum(ofKind("Secret")["auth-mtls"].data!));
    for (const s of SERVICES.filter((s) => s !== "auth")) {
      expect(checksum(after[s])).toBe(checksum(before[s]));
    }
  });
});

describe("against a real kube-apiserver", () => {
  let cluster: KubeCluster;
  let stack: TestStack;

  beforeAll(async () => {
    const started = Date.now();
    cluster = await KubeCluster.start("deploy");
    console.log(`cluster: started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  afterAll(async () => {
    // The stack goes first, while the API server still answers; the session's cleanup then finds it empty.
    await stack?.destroy().catch((e) => console.error(e));
    await cluster?.stop();
  });

  const deployConfig = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      target: "kubernetes",
      namespace: NAMESPACE,
      kubeconfig: cluster.kubeconfig,
      context: cluster.context,
      skipAwait: true,
      replicas: 1,
      ...extra,
    });

  it("stops on a kubeconfig context that does not exist, before any resource", async () => {
    const bad = await session.projectStack({
      stackName: "e2e-deploy-badctx",
      config: {
        "mesh-pki:deploy": deployConfig({ context: "no-such-context" }),
        "mesh-pki:services": servicesConfig,
      },
    });
    await expect(bad.up()).rejects.toThrow(
      `mesh-pki:deploy.context: kubeconfig ${cluster.kubeconfig} has no context "no-such-context" (it has "${cluster.context}")`,
    );
    expect(await bad.resources()).toEqual([]);
  });

  async function secrets(): Promise<Record<string, Record<string, string>>> {
    const list = await cluster.getJson<{ items: Manifest[] }>(["secrets", "-n", NAMESPACE]);
    return Object.fromEntries(
      list.items
        .filter((s) => s.type === "kubernetes.io/tls")
        .map((s) => [s.metadata.name, s.data!]),
    );
  }

  async function checksums(): Promise<Record<string, string>> {
    const list = await cluster.getJson<{ items: Manifest[] }>(["deployments", "-n", NAMESPACE]);
    return Object.fromEntries(
      list.items.map((d) => [
        d.metadata.name,
        d.spec.template.metadata.annotations[CHECKSUM_ANNOTATION],
      ]),
    );
  }

  /** ReplicaSets per owning Deployment. */
  async function replicaSets(): Promise<Record<string, string[]>> {
    const list = await cluster.getJson<{
      items: Array<{ metadata: { name: string; ownerReferences?: Array<{ name: string }> } }>;
    }>(["replicasets", "-n", NAMESPACE]);
    const out: Record<string, string[]> = {};
    for (const rs of list.items) {
      const owner = rs.metadata.ownerReferences?.[0]?.name ?? "(none)";
      (out[owner] ??= []).push(rs.metadata.name);
    }
    for (const names of Object.values(out)) names.sort();
    return out;
  }

  /** Polls until `done` holds, at most 60 times a second apart. */
  async function eventually<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean) {
    let value = await read();
    for (let i = 0; i < 60 && !done(value); i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      value = await read();
    }
    if (!done(value)) {
      throw new Error(
        `${what}: still ${JSON.stringify(value)}\n${cluster.log("kube-controller-manager")}`,
      );
    }
    return value;
  }

  it("up creates the namespace, and a Secret, Deployment and Service per service", async () => {
    stack = await session.projectStack({
      stackName: "e2e-deploy-kube",
      config: { "mesh-pki:deploy": deployConfig(), "mesh-pki:services": servicesConfig },
    });
    const started = Date.now();
    const up = await stack.up();
    console.log(
      `cluster: first up took ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(up.summary.resourceChanges)}`,
    );

    const ns = await cluster.getJson<Manifest>(["namespace", NAMESPACE]);
    expect(ns.metadata.name).toBe(NAMESPACE);
    const names = async (kind: string) =>
      (await cluster.getJson<{ items: Manifest[] }>([kind, "-n", NAMESPACE])).items
        .map((i) => i.metadata.name)
        .sort();
    expect(Object.keys(await secrets()).sort()).toEqual(SERVICES.map((s) => `${s}-mtls`).sort());
    expect(await names("deployments")).toEqual([...SERVICES].sort());
    expect(await names("services")).toEqual([...SERVICES].sort());
  });

  it("kubectl reads back Secrets that verify, and each checksum matches its Secret", async () => {
    const data = await secrets();
    const sums = await checksums();
    for (const s of SERVICES) {
      const cert = await verifySecret(`kube-${s}`, data[`${s}-mtls`]);
      expect(cert.subject).toContain(`CN=${s}`);
      expect(sums[s]).toBe(expectedChecksum(data[`${s}-mtls`]));
    }
  });

  it("the controller manager made one ReplicaSet per Deployment", async () => {
    const sets = await eventually("one ReplicaSet per Deployment", replicaSets, (v) =>
      SERVICES.every((s) => v[s]?.length === 1),
    );
    console.log(`cluster: ReplicaSets after up: ${JSON.stringify(sets)}`);
  });

  it("a rotation of auth changes auth's Secret and checksum only, and rolls only auth", async () => {
    const secretsBefore = await secrets();
    const sumsBefore = await checksums();
    const setsBefore = await replicaSets();

    const rotation = rotationOf("auth", SERVICES);
    await stack.setConfig({ "mesh-pki:services": JSON.stringify(rotation.services) });
    const preview = await stack.preview();
    const changed = preview.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`);
    console.log(`cluster: rotation of auth by ${rotation.how}; preview: ${changed.join(", ")}`);

    const kubeSteps = preview.steps.filter(
      (s) => s.type.startsWith("kubernetes:") && s.op !== "same",
    );
    // The alert rules carry each certificate's not-after, so auth's new certificate replaces their
    // ConfigMap too (the provider replaces a ConfigMap whose data changes).
    expect(kubeSteps.map((s) => `${s.op} ${s.name}`).sort()).toEqual([
      "create-replacement mesh-kubernetes-alert-rules",
      "delete-replaced mesh-kubernetes-alert-rules",
      "replace mesh-kubernetes-alert-rules",
      "update mesh-kubernetes-auth-deployment",
      "update mesh-kubernetes-auth-secret",
    ]);

    const started = Date.now();
    const up = await stack.up();
    console.log(
      `cluster: rotation up took ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(up.summary.resourceChanges)}`,
    );

    const secretsAfter = await secrets();
    const sumsAfter = await checksums();
    expect(secretsAfter["auth-mtls"]["tls.crt"]).not.toBe(secretsBefore["auth-mtls"]["tls.crt"]);
    await verifySecret("kube-auth-rotated", secretsAfter["auth-mtls"]);
    expect(sumsAfter.auth).not.toBe(sumsBefore.auth);
    expect(sumsAfter.auth).toBe(expectedChecksum(secretsAfter["auth-mtls"]));
    for (const s of SERVICES.filter((s) => s !== "auth")) {
      expect(secretsAfter[`${s}-mtls`]).toEqual(secretsBefore[`${s}-mtls`]);
      expect(sumsAfter[s]).toBe(sumsBefore[s]);
    }

    const setsAfter = await eventually(
      "a second ReplicaSet for auth",
      replicaSets,
      (v) => (v.auth?.length ?? 0) >= 2,
    );
    // Give the controller a moment to show any other rollout, then compare.
    await new Promise((r) => setTimeout(r, 3_000));
    const settled = await replicaSets();
    console.log(`cluster: ReplicaSets after rotation: ${JSON.stringify(settled)}`);
    expect(settled.auth).toHaveLength(2);
    expect(settled.auth).toEqual(expect.arrayContaining(setsBefore.auth));
    for (const s of SERVICES.filter((s) => s !== "auth")) expect(settled[s]).toEqual(setsBefore[s]);
    expect(setsAfter.auth.length).toBe(2);
  });

  it("a second up changes nothing", async () => {
    const again = await stack.up();
    expect(again.summary.resourceChanges).toEqual({ same: again.summary.resourceChanges?.same });
  });

  it("destroy removes the namespace and everything in it", async () => {
    const started = Date.now();
    await stack.destroy();
    console.log(`cluster: destroy took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const namespaces = await cluster.getJson<{ items: Manifest[] }>(["namespaces"]);
    expect(namespaces.items.map((n) => n.metadata.name)).not.toContain(NAMESPACE);
    expect(await stack.resources()).toEqual([]);
  });
});
