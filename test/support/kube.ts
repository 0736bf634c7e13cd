// A Kubernetes control plane for end-to-end tests, on 127.0.0.1 only: etcd (Debian's etcd-server) with a
// temporary data directory, kube-apiserver (built by tools/kube.sh) with a static admin token, a
// service-account key pair and serving certificates made here with openssl, and kube-controller-manager
// with the controllers a rollout and a namespace deletion need. No node runs, so no pod ever starts; a
// Deployment still gets its ReplicaSets. Every wait is bounded; stop() ends the processes it started and
// removes the directory.
//
//   const cluster = await KubeCluster.start("deploy");
//   await cluster.kubectl(["get", "namespaces"]);
//   await cluster.stop();

import { ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, readFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./engine";

const run = promisify(execFile);
const minute = 60_000;

/** Bounds, in milliseconds. */
export const kubeTimeouts = {
  /** tools/kube.sh bin-dir: a cold build is about 6.5 minutes. */
  build: 30 * minute,
  /** Debian packages through tools/install.sh. */
  install: 10 * minute,
  /** From starting a process until it answers. */
  ready: 2 * minute,
  /** From SIGTERM until a process is gone (then SIGKILL). */
  stop: 20_000,
  /** One kubectl command. */
  kubectl: 60_000,
};

/** The Debian packages this control plane needs. */
export const KUBE_DEBIAN_PACKAGES = ["etcd-server", "kubectl", "openssl"];

/** The controllers that make a rollout visible and let a namespace be deleted. */
export const CONTROLLERS = [
  "deployment-controller",
  "replicaset-controller",
  "namespace-controller",
  "serviceaccount-controller",
  "garbage-collector-controller",
];

let binDir: Promise<string> | undefined;

/** Installs etcd and kubectl when missing, and finds or builds kube-apiserver; once per process. */
export function kubeBinDir(): Promise<string> {
  binDir ??= (async () => {
    await run(path.join(repoRoot, "tools/install.sh"), ["debian", ...KUBE_DEBIAN_PACKAGES], {
      timeout: kubeTimeouts.install,
    });
    const { stdout } = await run(path.join(repoRoot, "tools/kube.sh"), ["bin-dir"], {
      cwd: repoRoot,
      timeout: kubeTimeouts.build,
    });
    return stdout.trim().split("\n").at(-1)!;
  })();
  return binDir;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run("openssl", args, { cwd, timeout: 30_000 });
}

/** A CA, a serving certificate for 127.0.0.1 signed by it, and a service-account key pair. */
async function makeCredentials(dir: string): Promise<void> {
  const days = ["-days", "2"];
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"], dir);
  await openssl(
    [
      "req",
      "-x509",
      "-new",
      "-key",
      "ca.key",
      "-subj",
      "/CN=mesh-pki-e2e-cluster-ca",
      ...days,
      "-out",
      "ca.crt",
    ],
    dir,
  );
  await openssl(
    ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "serving.key"],
    dir,
  );
  await openssl(
    ["req", "-new", "-key", "serving.key", "-subj", "/CN=kube-apiserver", "-out", "serving.csr"],
    dir,
  );
  await fs.writeFile(
    path.join(dir, "serving.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\n" +
      "extendedKeyUsage=serverAuth\n",
  );
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      "serving.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-extfile",
      "serving.ext",
      ...days,
      "-out",
      "serving.crt",
    ],
    dir,
  );
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sa.key"], dir);
  await openssl(["ec", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
}

interface Started {
  name: string;
  child: ChildProcess;
  log: string;
  exited: Promise<void>;
}

function start(name: string, command: string, args: string[], dir: string): Started {
  const log = path.join(dir, `${name}.log`);
  const out = createWriteStream(log);
  const child = spawn(command, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { name, child, log, exited };
}

function logTail(process: Started, lines = 30): string {
  try {
    return readFileSync(process.log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Polls `probe` every 250 ms until it is true, the process dies, or the bound passes. */
async function waitFor(
  what: string,
  process: Started,
  probe: () => Promise<boolean>,
  bound = kubeTimeouts.ready,
): Promise<void> {
  const deadline = Date.now() + bound;
  while (Date.now() < deadline) {
    if (process.child.exitCode !== null || process.child.signalCode !== null) {
      throw new Error(`${process.name} exited before ${what}:\n${logTail(process)}`);
    }
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not happen within ${bound / 1000} s:\n${logTail(process)}`);
}

function httpsGet(
  url: string,
  trust: { ca: string; token: string } | { insecure: true },
): Promise<{ status: number; body: string }> {
  const options: https.RequestOptions =
    "ca" in trust
      ? { ca: trust.ca, headers: { Authorization: `Bearer ${trust.token}` } }
      : { rejectUnauthorized: false };
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...options, timeout: 5_000 }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return res.ok;
}

export class KubeCluster {
  private constructor(
    /** Holds the credentials, logs, etcd data and the kubeconfig. */
    readonly dir: string,
    /** The kubeconfig with one cluster, one user (admin token) and one context. */
    readonly kubeconfig: string,
    readonly context: string,
    readonly server: string,
    private readonly processes: Started[],
  ) {}

  /** Starts etcd, kube-apiserver and kube-controller-manager and waits until they answer. */
  static async start(label: string): Promise<KubeCluster> {
    const bin = await kubeBinDir();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `mesh-pki-kube-${label}-`));
    const processes: Started[] = [];
    const context = `mesh-pki-${label}`;
    try {
      await makeCredentials(dir);
      const token = randomBytes(24).toString("hex");
      await fs.writeFile(
        path.join(dir, "tokens.csv"),
        `${token},admin,admin-uid,system:masters\n`,
        {
          mode: 0o600,
        },
      );

      const [etcdClient, etcdPeer, apiPort, kcmPort] = [
        await freePort(),
        await freePort(),
        await freePort(),
        await freePort(),
      ];
      const etcdUrl = `http://127.0.0.1:${etcdClient}`;
      const peerUrl = `http://127.0.0.1:${etcdPeer}`;
      const etcd = start(
        "etcd",
        "etcd",
        [
          "--name=e2e",
          `--data-dir=${path.join(dir, "etcd")}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=e2e=${peerUrl}`,
          "--log-level=warn",
        ],
        dir,
      );
      processes.push(etcd);
      await waitFor("etcd answered /health", etcd, () => httpOk(`${etcdUrl}/health`));

      const server = `https://127.0.0.1:${apiPort}`;
      const apiserver = start(
        "kube-apiserver",
        path.join(bin, "kube-apiserver"),
        [
          `--etcd-servers=${etcdUrl}`,
          "--bind-address=127.0.0.1",
          "--advertise-address=127.0.0.1",
          `--secure-port=${apiPort}`,
          `--cert-dir=${path.join(dir, "apiserver-certs")}`,
          "--tls-cert-file=serving.crt",
          "--tls-private-key-file=serving.key",
          "--token-auth-file=tokens.csv",
          "--authorization-mode=RBAC",
          "--service-account-key-file=sa.pub",
          "--service-account-signing-key-file=sa.key",
          "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
          "--service-cluster-ip-range=10.96.0.0/24",
          "--enable-priority-and-fairness=false",
          "--profiling=false",
        ],
        dir,
      );
      processes.push(apiserver);
      const ca = await fs.readFile(path.join(dir, "ca.crt"), "utf8");
      await waitFor("kube-apiserver answered /readyz", apiserver, async () => {
        return (await httpsGet(`${server}/readyz`, { ca, token })).status === 200;
      });

      const kubeconfig = path.join(dir, "kubeconfig");
      await fs.writeFile(
        kubeconfig,
        [
          "apiVersion: v1",
          "kind: Config",
          "clusters:",
          `- name: ${context}`,
          "  cluster:",
          `    server: ${server}`,
          `    certificate-authority-data: ${Buffer.from(ca).toString("base64")}`,
          "users:",
          "- name: admin",
          "  user:",
          `    token: ${token}`,
          "contexts:",
          `- name: ${context}`,
          "  context:",
          `    cluster: ${context}`,
          "    user: admin",
          `current-context: ${context}`,
          "",
        ].join("\n"),
        { mode: 0o600 },
      );

      const controllers = start(
        "kube-controller-manager",
        path.join(bin, "kube-controller-manager"),
        [
          `--kubeconfig=${kubeconfig}`,
          `--authentication-kubeconfig=${kubeconfig}`,
          `--authorization-kubeconfig=${kubeconfig}`,
          `--controllers=${CONTROLLERS.join(",")}`,
          "--leader-elect=false",
          "--bind-address=127.0.0.1",
          `--secure-port=${kcmPort}`,
          `--cert-dir=${path.join(dir, "kcm-certs")}`,
          "--service-account-private-key-file=sa.key",
          "--root-ca-file=ca.crt",
          "--concurrent-deployment-syncs=2",
        ],
        dir,
      );
      processes.push(controllers);
      // Its serving certificate is one it made itself; the probe only asks whether it is up.
      await waitFor("kube-controller-manager answered /healthz", controllers, async () => {
        const res = await httpsGet(`https://127.0.0.1:${kcmPort}/healthz`, { insecure: true });
        return res.status === 200;
      });

      return new KubeCluster(dir, kubeconfig, context, server, processes);
    } catch (err) {
      await stopAll(processes);
      await fs.rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Runs kubectl against this cluster; throws with its stderr on failure. */
  async kubectl(args: string[]): Promise<string> {
    const { stdout } = await run("kubectl", ["--kubeconfig", this.kubeconfig, ...args], {
      timeout: kubeTimeouts.kubectl,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  }

  /** kubectl get -o json, parsed. */
  async getJson<T = { items: Array<Record<string, unknown>> }>(args: string[]): Promise<T> {
    return JSON.parse(await this.kubectl(["get", ...args, "-o", "json"])) as T;
  }

  /** The last lines of one process's log, for a failure message. */
  log(name: string, lines = 40): string {
    const process = this.processes.find((p) => p.name === name);
    return process ? logTail(process, lines) : "(no such process)";
  }

  /** Stops every process (controllers, API server, etcd) and removes the directory. */
  async stop(): Promise<void> {
    await stopAll(this.processes);
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

/** SIGTERM in reverse start order, SIGKILL after the bound. */
async function stopAll(processes: Started[]): Promise<void> {
  for (const process of [...processes].reverse()) {
    if (process.child.exitCode !== null || process.child.signalCode !== null) continue;
    process.child.kill("SIGTERM");
    const stopped = await Promise.race([
      process.exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), kubeTimeouts.stop)),
    ]);
    if (!stopped) {
      process.child.kill("SIGKILL");
      await Promise.race([process.exited, new Promise((r) => setTimeout(r, kubeTimeouts.stop))]);
    }
  }
}
