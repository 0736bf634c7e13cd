/**
 * KubernetesDeployment under Pulumi mocks: the exact objects and inputs per service (Secret, Deployment,
 * Service), the environment contract, read-only mounts without subPath, and a checksum that follows the
 * certificate and nothing else.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  KubernetesDeployment,
  KubernetesDeploymentArgs,
  POD_FS_GROUP,
} from "../../components/deploy/kubernetes";
import {
  CERT_MOUNT_PATH,
  CHECKSUM_ANNOTATION,
  certChecksum,
  serviceEnv,
  serviceImage,
  tlsSecretData,
} from "../../components/deploy/kubernetesSpec";
import { DEFAULT_TLS13_CIPHERS } from "../../components/config";
import type { KubeObject } from "../support/kubeDeploy";
import { MockHarness, Recorded, installMocks, settle, valueOf } from "./mocks";

const PROVIDER = "pulumi:providers:kubernetes";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const SECRET = "kubernetes:core/v1:Secret";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const COMPONENT = "mesh-pki:deploy:KubernetesDeployment";
const TLS = { minVersion: "TLSv1.3", ciphers: DEFAULT_TLS13_CIPHERS };

let mocks: MockHarness;
beforeAll(async () => {
  mocks = await installMocks();
});
beforeEach(() => mocks.reset());

function args(overrides: Partial<KubernetesDeploymentArgs> = {}): KubernetesDeploymentArgs {
  return {
    namespace: "mesh",
    cluster: { kind: "kubeconfig", kubeconfig: "/home/ops/.kube/config", context: "staging" },
    trustBundlePem: "BUNDLE",
    tls: TLS,
    services: {
      gateway: {
        chainPem: "GATEWAY CHAIN",
        keyPem: pulumi.secret("GATEWAY KEY"),
        image: "ashchan/gateway:1",
      },
      auth: {
        chainPem: "AUTH CHAIN",
        keyPem: pulumi.secret("AUTH KEY"),
        image: "ashchan/auth:1",
        port: 9443,
      },
    },
    ...overrides,
  };
}

async function deploy(a: KubernetesDeploymentArgs = args()): Promise<KubernetesDeployment> {
  const k8s = new KubernetesDeployment("mesh-kubernetes", a);
  await settle(k8s.checksums, k8s.urn);
  for (const o of Object.values(k8s.services)) await settle(o.service.urn, o.deployment.urn);
  await new Promise((r) => setTimeout(r, 50));
  return k8s;
}

function one(type: string, name: string): Recorded {
  const found = mocks.resources.filter((r) => r.type === type && r.name === name);
  expect(found, `${type} ${name}`).toHaveLength(1);
  return found[0];
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("KubernetesDeployment", () => {
  it("declares a provider, the namespace and a Secret, Deployment and Service per service", async () => {
    await deploy();
    // Registration order follows when each input resolves, so compare as a set.
    expect(mocks.resources.map((r) => [r.type, r.name, r.parent]).sort()).toEqual(
      [
        [COMPONENT, "mesh-kubernetes", ""],
        [PROVIDER, "mesh-kubernetes-provider", "mesh-kubernetes"],
        [NAMESPACE, "mesh-kubernetes-namespace", "mesh-kubernetes"],
        [SECRET, "mesh-kubernetes-gateway-secret", "mesh-kubernetes"],
        [DEPLOYMENT, "mesh-kubernetes-gateway-deployment", "mesh-kubernetes"],
        [SERVICE, "mesh-kubernetes-gateway-service", "mesh-kubernetes"],
        [SECRET, "mesh-kubernetes-auth-secret", "mesh-kubernetes"],
        [DEPLOYMENT, "mesh-kubernetes-auth-deployment", "mesh-kubernetes"],
        [SERVICE, "mesh-kubernetes-auth-service", "mesh-kubernetes"],
      ].sort(),
    );
  });

  it("points the provider at the kubeconfig and context", async () => {
    await deploy();
    const { inputs } = one(PROVIDER, "mesh-kubernetes-provider");
    expect(inputs.kubeconfig).toBe("/home/ops/.kube/config");
    expect(inputs.context).toBe("staging");
    expect(inputs.renderYamlToDirectory).toBeUndefined();
    // A rotated Secret is updated in place, never replaced (which would replace its Deployment).
    // Provider inputs reach the engine as strings.
    expect(inputs.enableSecretMutable).toBe("true");
  });

  it("renders into a directory instead when asked, with no kubeconfig or context", async () => {
    await deploy(args({ cluster: { kind: "render", directory: "/srv/rendered" } }));
    const { inputs } = one(PROVIDER, "mesh-kubernetes-provider");
    expect(inputs.renderYamlToDirectory).toBe("/srv/rendered");
    expect(inputs.enableSecretMutable).toBe("true");
    expect(inputs.kubeconfig).toBeUndefined();
    expect(inputs.context).toBeUndefined();
  });

  it("creates the namespace", async () => {
    await deploy();
    expect(one(NAMESPACE, "mesh-kubernetes-namespace").inputs).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "mesh", labels: { "app.kubernetes.io/part-of": "mesh-pki" } },
    });
  });

  it("stores chain, key and CA bundle in a secret kubernetes.io/tls Secret", async () => {
    await deploy();
    expect(one(SECRET, "mesh-kubernetes-gateway-secret").inputs).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/tls",
      metadata: {
        name: "gateway-mtls",
        namespace: "mesh",
        labels: {
          "app.kubernetes.io/name": "gateway",
          "app.kubernetes.io/part-of": "mesh-pki",
          "app.kubernetes.io/managed-by": "pulumi",
        },
      },
      data: {
        secret: {
          "tls.crt": b64("GATEWAY CHAIN"),
          "tls.key": b64("GATEWAY KEY"),
          "ca.crt": b64("BUNDLE"),
        },
      },
    });
  });

  it("gives each Deployment the whole environment contract, the key only as a file path", async () => {
    await deploy();
    const gateway = one(DEPLOYMENT, "mesh-kubernetes-gateway-deployment")
      .inputs as unknown as KubeObject;
    const container = gateway.spec.template.spec.containers[0];
    expect(container.env).toEqual([
      { name: "SERVICE_NAME", value: "gateway" },
      { name: "MTLS_PORT", value: "8443" },
      { name: "MTLS_CERT_FILE", value: "/etc/mesh-pki/tls/tls.crt" },
      { name: "MTLS_KEY_FILE", value: "/etc/mesh-pki/tls/tls.key" },
      { name: "MTLS_CA_FILE", value: "/etc/mesh-pki/tls/ca.crt" },
      { name: "MTLS_CLIENT_CERT_FILE", value: "/etc/mesh-pki/tls/tls.crt" },
      { name: "MTLS_CLIENT_KEY_FILE", value: "/etc/mesh-pki/tls/tls.key" },
      { name: "MTLS_MIN_VERSION", value: "TLSv1.3" },
      {
        name: "MTLS_CIPHERS",
        value: "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
      },
    ]);
    expect(JSON.stringify(gateway)).not.toContain("GATEWAY KEY");
    expect(JSON.stringify(gateway)).not.toContain(b64("GATEWAY KEY"));
  });

  it("mounts the Secret read-only as a directory, never with subPath", async () => {
    await deploy();
    for (const service of ["gateway", "auth"]) {
      const d = one(DEPLOYMENT, `mesh-kubernetes-${service}-deployment`)
        .inputs as unknown as KubeObject;
      const pod = d.spec.template.spec;
      expect(pod.containers).toHaveLength(1);
      expect(pod.containers[0].volumeMounts).toEqual([
        { name: "mtls", mountPath: CERT_MOUNT_PATH, readOnly: true },
      ]);
      expect(pod.volumes).toEqual([
        { name: "mtls", secret: { secretName: `${service}-mtls`, defaultMode: 0o440 } },
      ]);
      expect(pod.securityContext).toEqual({ fsGroup: POD_FS_GROUP });
    }
  });

  it("declares the Deployment with its image, port, replicas, selector and checksum", async () => {
    await deploy();
    const labels = {
      "app.kubernetes.io/name": "auth",
      "app.kubernetes.io/part-of": "mesh-pki",
      "app.kubernetes.io/managed-by": "pulumi",
    };
    const auth = one(DEPLOYMENT, "mesh-kubernetes-auth-deployment").inputs as unknown as KubeObject;
    expect(auth.metadata).toEqual({ name: "auth", namespace: "mesh", labels, annotations: {} });
    expect(auth.spec.replicas).toBe(2);
    expect(auth.spec.selector).toEqual({
      matchLabels: { "app.kubernetes.io/name": "auth", "app.kubernetes.io/part-of": "mesh-pki" },
    });
    expect(auth.spec.template.metadata).toEqual({
      labels,
      annotations: { [CHECKSUM_ANNOTATION]: certChecksum("AUTH CHAIN", "BUNDLE") },
    });
    const container = auth.spec.template.spec.containers[0];
    expect(container.name).toBe("auth");
    expect(container.image).toBe("ashchan/auth:1");
    expect(container.ports).toEqual([{ name: "mtls", containerPort: 9443, protocol: "TCP" }]);
    expect(container.env).toContainEqual({ name: "MTLS_PORT", value: "9443" });
  });

  it("declares a ClusterIP Service on the mTLS port", async () => {
    await deploy();
    expect(one(SERVICE, "mesh-kubernetes-gateway-service").inputs).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "gateway",
        namespace: "mesh",
        labels: {
          "app.kubernetes.io/name": "gateway",
          "app.kubernetes.io/part-of": "mesh-pki",
          "app.kubernetes.io/managed-by": "pulumi",
        },
        annotations: {},
      },
      spec: {
        type: "ClusterIP",
        selector: { "app.kubernetes.io/name": "gateway", "app.kubernetes.io/part-of": "mesh-pki" },
        ports: [{ name: "mtls", port: 8443, targetPort: "mtls", protocol: "TCP" }],
      },
    });
  });

  it("annotates Deployments and Services with skipAwait only when asked", async () => {
    await deploy(args({ skipAwait: true, replicas: 1 }));
    for (const r of mocks.resources.filter((r) => r.type === DEPLOYMENT || r.type === SERVICE)) {
      expect((r.inputs as unknown as KubeObject).metadata.annotations).toEqual({
        "pulumi.com/skipAwait": "true",
      });
    }
    for (const r of mocks.resources.filter((r) => r.type === SECRET || r.type === NAMESPACE)) {
      expect((r.inputs as unknown as KubeObject).metadata.annotations).toBeUndefined();
    }
    expect(
      (one(DEPLOYMENT, "mesh-kubernetes-gateway-deployment").inputs as unknown as KubeObject).spec
        .replicas,
    ).toBe(1);
  });

  it("exposes the checksum of each service", async () => {
    const k8s = await deploy();
    expect(await valueOf(k8s.checksums)).toEqual({
      gateway: certChecksum("GATEWAY CHAIN", "BUNDLE"),
      auth: certChecksum("AUTH CHAIN", "BUNDLE"),
    });
  });

  it("changes a service's pod-template checksum when its certificate changes, and no other", async () => {
    await deploy();
    const before = checksums();
    mocks.reset();
    const rotated = args();
    rotated.services.gateway = { ...rotated.services.gateway, chainPem: "GATEWAY CHAIN 2" };
    rotated.services.auth = { ...rotated.services.auth, keyPem: pulumi.secret("AUTH KEY 2") };
    await deploy(rotated);
    const after = checksums();

    expect(after.gateway).not.toBe(before.gateway);
    // A new key alone would come with a new certificate; with the same certificate nothing rolls.
    expect(after.auth).toBe(before.auth);
  });

  it("changes every checksum when the CA bundle changes", async () => {
    await deploy();
    const before = checksums();
    mocks.reset();
    await deploy(args({ trustBundlePem: "BUNDLE 2" }));
    const after = checksums();
    expect(after.gateway).not.toBe(before.gateway);
    expect(after.auth).not.toBe(before.auth);
  });

  it.each([
    [
      "a namespace that is not a DNS label",
      { namespace: "Mesh_PKI" },
      /namespace "Mesh_PKI" is not a DNS label/,
    ],
    ["no services", { services: {} }, /needs at least one service/],
    [
      "a relative render directory",
      { cluster: { kind: "render" as const, directory: "out" } },
      /must be absolute/,
    ],
    ["negative replicas", { replicas: -1 }, /replicas -1/],
  ])("refuses %s before declaring anything", async (_case, overrides, message) => {
    expect(() => new KubernetesDeployment("mesh-kubernetes", args(overrides))).toThrow(message);
    await new Promise((r) => setTimeout(r, 20));
    expect(mocks.resources).toEqual([]);
  });
});

function checksums(): Record<string, string> {
  return Object.fromEntries(
    mocks.resources
      .filter((r) => r.type === DEPLOYMENT)
      .map((r) => {
        const d = r.inputs as unknown as KubeObject;
        return [d.metadata.name, d.spec.template.metadata.annotations[CHECKSUM_ANNOTATION]];
      }),
  );
}

describe("kubernetesSpec", () => {
  it("hashes the chain and the bundle, and tells their boundary apart", () => {
    expect(certChecksum("A", "B")).toMatch(/^[0-9a-f]{64}$/);
    expect(certChecksum("A", "B")).toBe(certChecksum("A", "B"));
    expect(certChecksum("AB", "")).not.toBe(certChecksum("A", "B"));
  });

  it("encodes the three Secret files", () => {
    expect(tlsSecretData("C", "K", "CA")).toEqual({
      "tls.crt": b64("C"),
      "tls.key": b64("K"),
      "ca.crt": b64("CA"),
    });
  });

  it.each([
    ["gateway", "ashchan/{service}:latest", undefined, "ashchan/gateway:latest"],
    ["auth", "registry.local/mesh/{service}:{service}", undefined, "registry.local/mesh/auth:auth"],
    ["auth", "ashchan/{service}:latest", "own/auth:2", "own/auth:2"],
  ])("image of %s from %s (own %s) is %s", (service, template, own, expected) => {
    expect(serviceImage(service, template, own)).toBe(expected);
  });

  it("names no value in the environment that holds key material", () => {
    for (const { value } of serviceEnv("gateway", 8443, TLS)) {
      expect(value).not.toMatch(/PRIVATE KEY/);
    }
  });
});
