import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFERENCE_SERVICES } from "../../components/config";
import type { KubeObject } from "../support/kubeDeploy";
import { MockHarness, installMocks, settle } from "./mocks";

// The stack program with the kubernetes target, as the staging stack runs it. One import per file, since
// the program runs when its module loads.
let mocks: MockHarness;
let program: typeof import("../../index");
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-pki-program-kube-"));
  const kubeconfig = path.join(dir, "kubeconfig");
  fs.writeFileSync(kubeconfig, "contexts:\n- name: staging\n  context: {}\n");
  mocks = await installMocks();
  pulumi.runtime.setAllConfig({
    "mesh-pki:deploy": JSON.stringify({
      target: "kubernetes",
      namespace: "mesh-staging",
      kubeconfig,
      context: "staging",
      replicas: 3,
    }),
    "mesh-pki:services": JSON.stringify({
      gateway: { deploy: { image: "ashchan/gateway:2.1", port: 9443 } },
      auth: {},
    }),
  });
  program = await import("../../index");
  await settle(program.services, program.serviceKeyPems);
  await new Promise((r) => setTimeout(r, 200));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("index.ts with deploy.target kubernetes", () => {
  it("declares the kubernetes target beside the mesh and the alert rules", () => {
    expect(mocks.resources.filter((r) => r.parent === "").map((r) => r.name)).toEqual([
      "mesh",
      "mesh-alerts",
      "mesh-kubernetes",
    ]);
    const kube = mocks.resources.filter((r) => r.parent === "mesh-kubernetes");
    expect(kube.map((r) => r.name).sort()).toEqual(
      [
        "mesh-kubernetes-provider",
        "mesh-kubernetes-namespace",
        "mesh-kubernetes-alert-rules",
        ...["gateway", "auth"].flatMap((s) =>
          ["secret", "deployment", "service"].map((k) => `mesh-kubernetes-${s}-${k}`),
        ),
      ].sort(),
    );
    expect(REFERENCE_SERVICES).toContain("gateway");
  });

  it("delivers the alert rules the program generated as a ConfigMap in the namespace", async () => {
    const configMap = mocks.resources.find((r) => r.name === "mesh-kubernetes-alert-rules")!;
    expect(configMap.type).toBe("kubernetes:core/v1:ConfigMap");
    const inputs = configMap.inputs as unknown as {
      metadata: { name: string; namespace: string; labels: Record<string, string> };
      data: Record<string, string>;
    };
    expect(inputs.metadata.name).toBe("mesh-pki-alert-rules");
    expect(inputs.metadata.namespace).toBe("mesh-staging");
    expect(inputs.metadata.labels["prometheus.io/rules"]).toBe("true");
    expect(Object.keys(inputs.data)).toEqual(["mesh-pki.rules.yml"]);
    expect(inputs.data["mesh-pki.rules.yml"]).toContain("alert: MeshCertificateRotationOverdue");
    expect(inputs.data["mesh-pki.rules.yml"]).toContain(
      'ssl_certificate_expiry_days{service="gateway"}',
    );
  });

  it("wires config into the objects: namespace, context, replicas, images and ports", () => {
    const find = (name: string) =>
      mocks.resources.find((r) => r.name === name)!.inputs as unknown as KubeObject;
    expect(mocks.resources.find((r) => r.name === "mesh-kubernetes-provider")!.inputs.context).toBe(
      "staging",
    );
    expect(find("mesh-kubernetes-namespace").metadata.name).toBe("mesh-staging");
    const gateway = find("mesh-kubernetes-gateway-deployment");
    expect(gateway.metadata.namespace).toBe("mesh-staging");
    expect(gateway.spec.replicas).toBe(3);
    expect(gateway.spec.template.spec.containers[0].image).toBe("ashchan/gateway:2.1");
    expect(gateway.spec.template.spec.containers[0].ports[0].containerPort).toBe(9443);
    expect(find("mesh-kubernetes-auth-deployment").spec.template.spec.containers[0].image).toBe(
      "ashchan/auth:latest",
    );
  });

  it("exports no certificate directory", async () => {
    expect(program.certificateDirectory).toBeUndefined();
  });
});
