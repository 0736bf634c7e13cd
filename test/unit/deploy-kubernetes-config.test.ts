/**
 * The kubernetes keys of `mesh-pki:deploy` and the kubeconfig check: bad values stop the program with the
 * config path and a fix, before any resource exists.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MeshConfigError, parseMeshConfig } from "../../components/config";
import { chooseKubeconfig, KubeconfigError } from "../../components/deploy/kubeconfig";
import { kubernetesCluster } from "../../components/deploy/kubernetesTarget";

const deployConfig = (deploy: unknown) =>
  parseMeshConfig({ "mesh-pki:deploy": JSON.stringify(deploy) }).deploy;

function problems(deploy: unknown): string[] {
  try {
    deployConfig(deploy);
  } catch (err) {
    expect(err).toBeInstanceOf(MeshConfigError);
    return (err as MeshConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe("mesh-pki:deploy for kubernetes", () => {
  it("defaults: namespace mesh-pki, 2 replicas, waits for readiness, image per service", () => {
    expect(deployConfig({ target: "kubernetes" })).toEqual({
      target: "kubernetes",
      directory: "certs",
      namespace: "mesh-pki",
      skipAwait: false,
      image: "ashchan/{service}:latest",
      replicas: 2,
    });
  });

  it("takes every key", () => {
    const all = {
      target: "kubernetes",
      namespace: "mesh-staging",
      kubeconfig: "kube/config",
      context: "staging",
      skipAwait: true,
      image: "registry.local/{service}:1.4",
      replicas: 3,
    };
    expect(deployConfig(all)).toEqual({ ...all, directory: "certs" });
  });

  it.each([
    [
      "an unknown target",
      { target: "k8s" },
      'mesh-pki:deploy.target: unknown deploy target "k8s"; use one of files, docker, kubernetes, none',
    ],
    [
      "a namespace that is not a DNS label",
      { target: "kubernetes", namespace: "Mesh_PKI" },
      'mesh-pki:deploy.namespace: namespace "Mesh_PKI" is not a DNS label (at most 63 lower-case letters, digits and inner hyphens); set a name such as mesh-pki',
    ],
    [
      "a namespace longer than 63 characters",
      { target: "kubernetes", namespace: "a".repeat(64) },
      expect.stringMatching(/^mesh-pki:deploy.namespace: namespace "a{64}" is not a DNS label/),
    ],
    [
      "an empty context",
      { target: "kubernetes", context: "" },
      "mesh-pki:deploy.context: must not be empty; name a context of the kubeconfig or remove the key",
    ],
    [
      "a render directory with a context",
      { target: "kubernetes", renderDirectory: "out", context: "staging" },
      "mesh-pki:deploy.context: renderDirectory writes manifests without a cluster, so context is never used; remove context or renderDirectory",
    ],
    [
      "fractional replicas",
      { target: "kubernetes", replicas: 1.5 },
      "mesh-pki:deploy.replicas: expected a whole number of replicas",
    ],
    [
      "skipAwait as text",
      { target: "kubernetes", skipAwait: "yes" },
      "mesh-pki:deploy.skipAwait: expected true or false",
    ],
    [
      "an unknown key",
      { target: "kubernetes", namesapce: "x" },
      'mesh-pki:deploy: unknown key "namesapce"; the known keys here are: target, directory, namespace, kubeconfig, context, renderDirectory, skipAwait, replicas, image, hostPortBase, prometheusImage, prometheusHostPort',
    ],
  ])("refuses %s", (_case, deploy, message) => {
    expect(problems(deploy)).toEqual([message]);
  });
});

describe("chooseKubeconfig", () => {
  let dir: string;
  let kubeconfig: string;
  let second: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-pki-kubeconfig-"));
    kubeconfig = path.join(dir, "config");
    fs.writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "contexts:",
        "- name: staging",
        "  context: { cluster: staging, user: ops }",
        "- name: prod",
        "  context: { cluster: prod, user: ops }",
        "current-context: staging",
        "",
      ].join("\n"),
    );
    second = path.join(dir, "second");
    fs.writeFileSync(second, "contexts:\n- name: lab\n  context: {}\n");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("takes the configured context when the kubeconfig has it", () => {
    expect(chooseKubeconfig({ kubeconfig: "config", context: "prod", projectDir: dir })).toEqual({
      kubeconfig,
      context: "prod",
    });
  });

  it("takes the current context when none is configured", () => {
    expect(chooseKubeconfig({ kubeconfig, projectDir: "/" })).toEqual({
      kubeconfig,
      context: "staging",
    });
  });

  it("reads KUBECONFIG (every file of it) when no kubeconfig is configured", () => {
    const env = { KUBECONFIG: `${second}:${kubeconfig}` };
    expect(chooseKubeconfig({ context: "lab", projectDir: "/", env })).toEqual({
      kubeconfig: undefined,
      context: "lab",
    });
    expect(chooseKubeconfig({ projectDir: "/", env })).toEqual({
      kubeconfig: undefined,
      context: "staging",
    });
  });

  it("reads ~/.kube/config when there is no KUBECONFIG", () => {
    fs.mkdirSync(path.join(dir, "home", ".kube"), { recursive: true });
    fs.copyFileSync(kubeconfig, path.join(dir, "home", ".kube", "config"));
    expect(chooseKubeconfig({ projectDir: "/", env: {}, home: path.join(dir, "home") })).toEqual({
      kubeconfig: undefined,
      context: "staging",
    });
  });

  it("refuses a context the kubeconfig does not have, naming the ones it has", () => {
    expect(() => chooseKubeconfig({ kubeconfig, context: "qa", projectDir: "/" })).toThrow(
      new KubeconfigError(
        `mesh-pki:deploy.context: kubeconfig ${kubeconfig} has no context "qa" (it has "staging", "prod"); set one of them, or fix mesh-pki:deploy.kubeconfig`,
      ),
    );
  });

  it("refuses a kubeconfig without a current context when none is configured", () => {
    expect(() => chooseKubeconfig({ kubeconfig: second, projectDir: "/" })).toThrow(
      `mesh-pki:deploy.context: kubeconfig ${second} has no usable current context; set mesh-pki:deploy.context to one of "lab"`,
    );
  });

  it("refuses a kubeconfig that does not exist", () => {
    expect(() => chooseKubeconfig({ kubeconfig: "missing", projectDir: dir })).toThrow(
      `mesh-pki:deploy.kubeconfig: kubeconfig ${path.join(dir, "missing")} cannot be read; set mesh-pki:deploy.kubeconfig to an existing file, or render manifests with mesh-pki:deploy.renderDirectory`,
    );
  });

  it("needs no kubeconfig at all when rendering", () => {
    const deploy = deployConfig({ target: "kubernetes", renderDirectory: "rendered" });
    expect(kubernetesCluster(deploy, "/srv/project", { KUBECONFIG: "/nonexistent" })).toEqual({
      kind: "render",
      directory: "/srv/project/rendered",
    });
  });
});

describe("the staging and prod example stacks", () => {
  /** A stack file's config as Pulumi gives it to the program: strings, structured values as JSON. */
  function stackConfig(stack: string): Record<string, string> {
    const file = path.join(__dirname, "../..", `Pulumi.${stack}.yaml`);
    const doc = parse(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    return Object.fromEntries(
      Object.entries(doc.config).map(([k, v]) => [
        k,
        typeof v === "string" ? v : JSON.stringify(v),
      ]),
    );
  }

  it.each([
    ["staging", "staging", "root"],
    ["prod", "prod", "intermediate"],
  ])("%s deploys to kubernetes through context %s with a %s issuer", (stack, context, mode) => {
    const config = parseMeshConfig(stackConfig(stack));
    expect(config.deploy).toMatchObject({
      target: "kubernetes",
      namespace: "mesh-pki",
      context,
      skipAwait: false,
    });
    expect(config.issuer.mode).toBe(mode);
  });
});
