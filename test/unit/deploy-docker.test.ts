/**
 * DockerDeployment under Pulumi mocks: the exact resources and inputs (image references, the network, a
 * container per service), the environment contract, file modes, ports on 127.0.0.1 only, and a replacement
 * trigger (uploads and checksum label) that follows the certificate and the trust bundle and nothing else.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_TLS13_CIPHERS, parseMeshConfig } from "../../components/config";
import { deployConfigSchema } from "../../components/deploy/config";
import {
  DockerDeployment,
  DockerDeploymentArgs,
  dockerTarget,
} from "../../components/deploy/docker";
import { hostPorts } from "../../components/deploy/dockerPorts";
import type { PlannedContainer } from "../../components/deploy/dockerPreflight";
import {
  DEFAULT_HOST_PORT_BASE,
  DEFAULT_PROMETHEUS_HOST_PORT,
  DEFAULT_PROMETHEUS_IMAGE,
  DOCKER_CHECKSUM_LABEL,
  DOCKER_RULES_CHECKSUM_LABEL,
  dockerEnvs,
  dockerLabels,
  dockerUploads,
  prometheusConfigYaml,
  prometheusLabels,
} from "../../components/deploy/dockerSpec";
import { certChecksum } from "../../components/deploy/kubernetesSpec";
import type { Mesh } from "../../components/mesh";
import { revealSecrets, settle, valueOf } from "./mocks";

const COMPONENT = "mesh-pki:deploy:DockerDeployment";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const NETWORK = "docker:index/network:Network";
const CONTAINER = "docker:index/container:Container";
const TLS = { minVersion: "TLSv1.3", ciphers: DEFAULT_TLS13_CIPHERS };

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  dependencies: string[];
}
const resources: Recorded[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        resources.push({
          type: args.type,
          name: args.name,
          inputs: revealSecrets(args.inputs) as Record<string, unknown>,
          dependencies: [],
        });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === IMAGE) state.imageId = `sha256:${String(args.inputs.name)}`;
        return { id: args.custom === false ? undefined : `${args.name}-id`, state };
      },
      call(args) {
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    "mesh-pki",
    "unit",
    false,
  );
});
beforeEach(() => {
  resources.length = 0;
});

function args(overrides: Partial<DockerDeploymentArgs> = {}): DockerDeploymentArgs {
  return {
    prefix: "mesh-pki-dev",
    trustBundlePem: "BUNDLE",
    tls: TLS,
    services: {
      gateway: {
        chainPem: "GATEWAY CHAIN",
        keyPem: pulumi.secret("GATEWAY KEY"),
        image: "mesh-pki/reference-service:dev",
        hostPort: 18443,
      },
      auth: {
        chainPem: "AUTH CHAIN",
        keyPem: pulumi.secret("AUTH KEY"),
        image: "ashchan/auth:1",
        port: 9443,
        hostPort: 18444,
      },
    },
    ...overrides,
  };
}

async function deploy(a: DockerDeploymentArgs = args()): Promise<DockerDeployment> {
  const d = new DockerDeployment("mesh-docker", a);
  await settle(d.containers, d.endpoints, d.urn);
  for (const o of Object.values(d.services)) await settle(o.container.urn, o.image.urn);
  await new Promise((r) => setTimeout(r, 50));
  return d;
}

function one(type: string, name: string): Recorded {
  const found = resources.filter((r) => r.type === type && r.name === name);
  expect(found, `${type} ${name}`).toHaveLength(1);
  return found[0];
}

describe("DockerDeployment", () => {
  it("declares an image reference and a container per service, and one network", async () => {
    await deploy();
    expect(resources.map((r) => [r.type, r.name]).sort()).toEqual(
      [
        [COMPONENT, "mesh-docker"],
        [IMAGE, "mesh-docker-gateway-image"],
        [IMAGE, "mesh-docker-auth-image"],
        [NETWORK, "mesh-docker-network"],
        [CONTAINER, "mesh-docker-gateway"],
        [CONTAINER, "mesh-docker-auth"],
      ].sort(),
    );
    expect(one(IMAGE, "mesh-docker-gateway-image").inputs).toEqual({
      name: "mesh-pki/reference-service:dev",
      keepLocally: true,
    });
    expect(one(NETWORK, "mesh-docker-network").inputs).toEqual({
      name: "mesh-pki-dev",
      driver: "bridge",
    });
  });

  it("runs each container with the exact inputs: image, contract, files, 127.0.0.1 port, label", async () => {
    await deploy();
    expect(one(CONTAINER, "mesh-docker-auth").inputs).toEqual({
      name: "mesh-pki-dev-auth",
      image: "sha256:ashchan/auth:1",
      hostname: "auth",
      envs: [
        "SERVICE_NAME=auth",
        "MTLS_PORT=9443",
        "MTLS_CERT_FILE=/etc/mesh-pki/tls/tls.crt",
        "MTLS_KEY_FILE=/etc/mesh-pki/tls/tls.key",
        "MTLS_CA_FILE=/etc/mesh-pki/tls/ca.crt",
        "MTLS_CLIENT_CERT_FILE=/etc/mesh-pki/tls/tls.crt",
        "MTLS_CLIENT_KEY_FILE=/etc/mesh-pki/tls/tls.key",
        "MTLS_MIN_VERSION=TLSv1.3",
        `MTLS_CIPHERS=${DEFAULT_TLS13_CIPHERS.join(":")}`,
      ],
      networksAdvanced: [{ name: "mesh-pki-dev", aliases: ["auth"] }],
      ports: [{ internal: 9443, external: 18444, ip: "127.0.0.1", protocol: "tcp" }],
      uploads: {
        secret: [
          { file: "/etc/mesh-pki/tls/tls.crt", content: "AUTH CHAIN", permissions: "0444" },
          { file: "/etc/mesh-pki/tls/tls.key", content: "AUTH KEY", permissions: "0400" },
          { file: "/etc/mesh-pki/tls/ca.crt", content: "BUNDLE", permissions: "0444" },
        ],
      },
      labels: [
        { label: "app.kubernetes.io/part-of", value: "mesh-pki" },
        { label: DOCKER_CHECKSUM_LABEL, value: certChecksum("AUTH CHAIN", "BUNDLE") },
      ],
      restart: "unless-stopped",
      mustRun: true,
    });
  });

  it("defaults the mTLS port to 8443 and never puts a key in the environment", async () => {
    await deploy();
    const { inputs } = one(CONTAINER, "mesh-docker-gateway");
    expect(inputs.envs).toContain("MTLS_PORT=8443");
    expect(inputs.ports).toEqual([
      { internal: 8443, external: 18443, ip: "127.0.0.1", protocol: "tcp" },
    ]);
    expect(JSON.stringify(inputs.envs)).not.toContain("GATEWAY KEY");
  });

  it("publishes every port on 127.0.0.1 only", async () => {
    await deploy();
    const ports = resources
      .filter((r) => r.type === CONTAINER)
      .flatMap((r) => r.inputs.ports as { ip: string }[]);
    expect(ports.map((p) => p.ip)).toEqual(["127.0.0.1", "127.0.0.1"]);
  });

  it("exports container names and 127.0.0.1 endpoints", async () => {
    const d = await deploy();
    await settle(d.endpoints);
    const endpoints = await new Promise((resolve) => d.endpoints.apply(resolve));
    expect(endpoints).toEqual({
      gateway: "https://127.0.0.1:18443",
      auth: "https://127.0.0.1:18444",
    });
  });

  it.each([
    [
      "a service without an image",
      { prefix: "mesh-pki-dev" },
      { image: "" },
      "service auth has no image; set mesh-pki:services.auth.deploy.image or mesh-pki:deploy.image",
    ],
    [
      "two services on one host port",
      { prefix: "mesh-pki-dev" },
      { hostPort: 18443 },
      "services gateway and auth both publish 127.0.0.1:18443",
    ],
    [
      "a prefix that is no DNS label",
      { prefix: "Mesh_Dev" },
      {},
      'prefix "Mesh_Dev" is not a DNS label',
    ],
  ])("refuses %s before registering anything", async (_case, top, auth, message) => {
    const a = args(top);
    a.services.auth = { ...a.services.auth, ...auth };
    expect(() => new DockerDeployment("mesh-docker", a)).toThrow(message);
    expect(resources).toEqual([]);
  });
});

describe("the replacement trigger", () => {
  // Every input of a container but uploads and labels is fixed by the config, so these two decide.
  const trigger = (chain: string, key: string, bundle: string) => ({
    uploads: dockerUploads(chain, key, bundle),
    labels: dockerLabels(chain, bundle),
  });

  it("is the same for the same certificate, key and bundle (an unchanged certificate leaves it alone)", () => {
    expect(trigger("C", "K", "B")).toEqual(trigger("C", "K", "B"));
  });

  it.each([
    ["a new certificate", trigger("C2", "K", "B")],
    ["a new trust bundle", trigger("C", "K", "B2")],
  ])("changes the uploads and the checksum label with %s", (_case, changed) => {
    const before = trigger("C", "K", "B");
    expect(changed.uploads).not.toEqual(before.uploads);
    expect(changed.labels[1].value).not.toBe(before.labels[1].value);
  });

  it("writes the key 0400 and the public files 0444", () => {
    expect(dockerUploads("C", "K", "B").map((u) => [u.file, u.permissions])).toEqual([
      ["/etc/mesh-pki/tls/tls.crt", "0444"],
      ["/etc/mesh-pki/tls/tls.key", "0400"],
      ["/etc/mesh-pki/tls/ca.crt", "0444"],
    ]);
  });
});

describe("dockerSpec", () => {
  it("gives host ports from the base in config order", () => {
    expect(hostPorts([{ name: "gateway" }, { name: "auth" }, { name: "boards" }], 18443)).toEqual({
      gateway: 18443,
      auth: 18444,
      boards: 18445,
    });
    expect(() => hostPorts([{ name: "a" }, { name: "b" }], 65535)).toThrow(
      "leaves no room below 65536 for service b",
    );
  });

  it("writes the environment contract as NAME=value", () => {
    expect(dockerEnvs("boards", 8443, { minVersion: "TLSv1.3", ciphers: ["A", "B"] })).toEqual([
      "SERVICE_NAME=boards",
      "MTLS_PORT=8443",
      "MTLS_CERT_FILE=/etc/mesh-pki/tls/tls.crt",
      "MTLS_KEY_FILE=/etc/mesh-pki/tls/tls.key",
      "MTLS_CA_FILE=/etc/mesh-pki/tls/ca.crt",
      "MTLS_CLIENT_CERT_FILE=/etc/mesh-pki/tls/tls.crt",
      "MTLS_CLIENT_KEY_FILE=/etc/mesh-pki/tls/tls.key",
      "MTLS_MIN_VERSION=TLSv1.3",
      "MTLS_CIPHERS=A:B",
    ]);
  });

  it("reads hostPortBase from mesh-pki:deploy (the target defaults it to 18443) and refuses a privileged port", () => {
    expect(deployConfigSchema.parse({ target: "docker", hostPortBase: 20000 }).hostPortBase).toBe(
      20000,
    );
    expect(DEFAULT_HOST_PORT_BASE).toBe(18443);
    expect(deployConfigSchema.safeParse({ hostPortBase: 443 }).success).toBe(false);
  });
});

describe("DockerDeployment with alert rules", () => {
  const RULES = "groups:\n  - name: mesh-pki-certificates\n    rules: []\n";
  const withPrometheus = (rulesYaml = RULES) =>
    args({ prometheus: { rulesYaml, image: "mesh-pki/prometheus:local", hostPort: 19090 } });

  async function deployWithPrometheus(rulesYaml?: string): Promise<DockerDeployment> {
    const d = await deploy(withPrometheus(rulesYaml));
    expect(d.prometheus).toBeDefined();
    await settle(d.prometheus!.container.urn, d.prometheus!.image.urn);
    await new Promise((r) => setTimeout(r, 50));
    return d;
  }

  it("adds a Prometheus image reference and container, rules and config uploaded, 9090 on 127.0.0.1", async () => {
    await deployWithPrometheus();
    expect(
      resources
        .filter((r) => r.name.includes("prometheus"))
        .map((r) => [r.type, r.name])
        .sort(),
    ).toEqual(
      [
        [IMAGE, "mesh-docker-prometheus-image"],
        [CONTAINER, "mesh-docker-prometheus"],
      ].sort(),
    );
    expect(one(IMAGE, "mesh-docker-prometheus-image").inputs).toEqual({
      name: "mesh-pki/prometheus:local",
      keepLocally: true,
    });
    expect(one(CONTAINER, "mesh-docker-prometheus").inputs).toEqual({
      name: "mesh-pki-dev-prometheus",
      image: "sha256:mesh-pki/prometheus:local",
      hostname: "prometheus",
      networksAdvanced: [{ name: "mesh-pki-dev", aliases: ["prometheus"] }],
      ports: [{ internal: 9090, external: 19090, ip: "127.0.0.1", protocol: "tcp" }],
      uploads: [
        { file: "/etc/prometheus/rules/mesh-pki.rules.yml", content: RULES, permissions: "0444" },
        {
          file: "/etc/prometheus/prometheus.yml",
          content: prometheusConfigYaml(),
          permissions: "0444",
        },
      ],
      labels: prometheusLabels(RULES),
      restart: "unless-stopped",
      mustRun: true,
    });
    expect(prometheusConfigYaml()).toBe(
      "global:\n  evaluation_interval: 5s\n  scrape_interval: 15s\nrule_files:\n  - /etc/prometheus/rules/mesh-pki.rules.yml\n",
    );
  });

  it("changes the rules checksum label with the rules, and only with them", () => {
    const label = (rules: string) =>
      prometheusLabels(rules).find((l) => l.label === DOCKER_RULES_CHECKSUM_LABEL)?.value;
    expect(label(RULES)).toMatch(/^[0-9a-f]{64}$/);
    expect(label(RULES)).toBe(label(RULES));
    expect(label(RULES)).not.toBe(label(`${RULES}# changed\n`));
  });

  it("declares no Prometheus without alert rules", async () => {
    const d = await deploy();
    expect(d.prometheus).toBeUndefined();
    expect(resources.filter((r) => r.name.includes("prometheus"))).toEqual([]);
  });

  it("refuses a Prometheus host port a service publishes, before anything registers", () => {
    expect(
      () =>
        new DockerDeployment(
          "mesh-docker",
          args({ prometheus: { rulesYaml: RULES, image: "p", hostPort: 18444 } }),
        ),
    ).toThrow(
      "DockerDeployment mesh-docker: service auth and Prometheus both publish 127.0.0.1:18444; set another mesh-pki:deploy.prometheusHostPort",
    );
    expect(resources).toEqual([]);
  });

  it("reads the Prometheus image and host port from the deploy config, with defaults", () => {
    const defaults = deployConfigSchema.parse({ target: "docker" });
    expect(defaults.prometheusImage).toBeUndefined();
    expect(defaults.prometheusHostPort).toBeUndefined();
    expect([DEFAULT_PROMETHEUS_IMAGE, DEFAULT_PROMETHEUS_HOST_PORT]).toEqual([
      "mesh-pki/prometheus:local",
      19090,
    ]);
    const set = deployConfigSchema.parse({
      target: "docker",
      prometheusImage: "prom/prometheus:v2.53.0",
      prometheusHostPort: 29090,
    });
    expect([set.prometheusImage, set.prometheusHostPort]).toEqual([
      "prom/prometheus:v2.53.0",
      29090,
    ]);
    expect(deployConfigSchema.safeParse({ prometheusHostPort: 80 }).success).toBe(false);
  });
});

describe("dockerTarget", () => {
  /** The mesh as the target reads it: each service's chain and key, and the trust bundle. */
  const mesh = (names: string[]) =>
    ({
      trustBundlePem: "BUNDLE",
      services: Object.fromEntries(
        names.map((n) => [n, { chainPem: `${n} CHAIN`, privateKeyPem: `${n} KEY` }]),
      ),
    }) as unknown as Mesh;

  it("publishes a service on its deploy.hostPort and the others on the base plus their position", async () => {
    const config = parseMeshConfig({
      "mesh-pki:deploy": JSON.stringify({ target: "docker", hostPortBase: 20000 }),
      "mesh-pki:services": JSON.stringify({
        gateway: {},
        auth: { deploy: { hostPort: 21000 } },
        boards: {},
      }),
    });
    const d = dockerTarget(config, { stack: "dev", preflight: async () => [] })(
      mesh(["gateway", "auth", "boards"]),
    );
    await settle(d.endpoints);
    expect(await valueOf(d.endpoints)).toEqual({
      gateway: "https://127.0.0.1:20000",
      auth: "https://127.0.0.1:21000",
      boards: "https://127.0.0.1:20002",
    });
    await settle(...Object.values(d.services).map((o) => o.container.urn));
    expect(one(CONTAINER, "mesh-docker-auth").inputs.ports).toEqual([
      { internal: 8443, external: 21000, ip: "127.0.0.1", protocol: "tcp" },
    ]);
  });
});

describe("the preflight", () => {
  const PROMETHEUS = {
    rulesYaml: "groups: []\n",
    image: "mesh-pki/prometheus:local",
    hostPort: 19090,
  };

  it("gets every container the deployment will run, with the config keys that set them", async () => {
    const plans: PlannedContainer[][] = [];
    await deploy(
      args({
        prometheus: PROMETHEUS,
        preflight: async (plan) => {
          plans.push(plan);
          return [];
        },
      }),
    );
    expect(plans).toEqual([
      [
        {
          who: "service gateway",
          container: "mesh-pki-dev-gateway",
          image: "mesh-pki/reference-service:dev",
          imageKey: "mesh-pki:services.gateway.deploy.image (or mesh-pki:deploy.image)",
          imageHint:
            "build or load it first (tools/docker.sh service-image mesh-pki/reference-service:dev builds the reference service)",
          hostPort: 18443,
          portKey: "mesh-pki:services.gateway.deploy.hostPort",
        },
        {
          who: "service auth",
          container: "mesh-pki-dev-auth",
          image: "ashchan/auth:1",
          imageKey: "mesh-pki:services.auth.deploy.image (or mesh-pki:deploy.image)",
          imageHint:
            "build or load it first (tools/docker.sh service-image ashchan/auth:1 builds the reference service)",
          hostPort: 18444,
          portKey: "mesh-pki:services.auth.deploy.hostPort",
        },
        {
          who: "Prometheus",
          container: "mesh-pki-dev-prometheus",
          image: "mesh-pki/prometheus:local",
          imageKey: "mesh-pki:deploy.prometheusImage",
          imageHint:
            "build or load it first (tools/docker.sh prometheus-image mesh-pki/prometheus:local builds the local one)",
          hostPort: 19090,
          portKey: "mesh-pki:deploy.prometheusHostPort",
        },
      ],
    ]);
  });

  it("comes before every Docker object: none is declared until it has passed", async () => {
    let pass!: (notes: string[]) => void;
    const d = new DockerDeployment(
      "mesh-docker",
      args({ preflight: () => new Promise<string[]>((resolve) => (pass = resolve)) }),
    );
    await settle(d.urn);
    await new Promise((r) => setTimeout(r, 100));
    expect(resources.map((r) => r.type)).toEqual([COMPONENT]);

    pass([]);
    for (const o of Object.values(d.services)) await settle(o.container.urn);
    await new Promise((r) => setTimeout(r, 50));
    expect(resources.filter((r) => r.type.startsWith("docker:"))).toHaveLength(5);
  });

  it("refused, fails the program with its message as written, and no Docker object is declared", async () => {
    // Every Docker object waits for the refusal, so it rejects them all; the SDK reports it (once, by
    // identity) as the program's error. Here those rejections are caught instead of failing the run.
    const caught: unknown[] = [];
    const vitestListeners = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", (err) => caught.push(err));
    try {
      new DockerDeployment(
        "mesh-docker",
        args({
          prometheus: PROMETHEUS,
          preflight: async () => {
            throw new Error("service auth cannot publish 127.0.0.1:18444: ...");
          },
        }),
      );
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      process.removeAllListeners("unhandledRejection");
      for (const l of vitestListeners) process.on("unhandledRejection", l);
    }
    expect(resources.map((r) => r.type)).toEqual([COMPONENT]);
    expect(new Set(caught).size).toBe(1);
    const refusal = caught[0] as pulumi.ResourceError;
    expect(pulumi.ResourceError.isInstance(refusal)).toBe(true);
    expect(refusal.hideStack).toBe(true);
    expect(refusal.message).toBe(
      "DockerDeployment mesh-docker: service auth cannot publish 127.0.0.1:18444: ...",
    );
  });

  it("logs its notes as warnings on the component", async () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockResolvedValue();
    try {
      const d = await deploy(args({ preflight: async () => ["service auth moves"] }));
      expect(warn).toHaveBeenCalledWith("service auth moves", d);
    } finally {
      warn.mockRestore();
    }
  });

  it("refuses a service without an image in the stack config before the mesh exists", () => {
    const config = parseMeshConfig({
      "mesh-pki:deploy": JSON.stringify({ target: "docker" }),
      "mesh-pki:services": JSON.stringify({ gateway: {}, auth: { deploy: { image: " " } } }),
    });
    expect(() => dockerTarget(config, { stack: "dev", preflight: async () => [] })).toThrow(
      "DockerDeployment mesh-docker: service auth has no image; set mesh-pki:services.auth.deploy.image or mesh-pki:deploy.image",
    );
    expect(resources).toEqual([]);
  });
});
