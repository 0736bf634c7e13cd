import { describe, expect, it } from "vitest";
import {
  certMountsReadOnly,
  loopbackPorts,
  noPrivateKeyInEnv,
  noSubPathCertMounts,
  tlsSecretType,
} from "../deployments";
import { container, deployment, meshEnv, PEM_KEY, tlsSecret } from "./fixtures";
import { advisory, mandatory, notChecked, runResourcePolicy, UNKNOWN } from "./harness";

const docker = "Container 'gateway-container'";
const k8s = "Deployment 'gateway-deployment' container 'gateway'";
const fix = "mount the key as a read-only file and pass its path (MTLS_KEY_FILE) instead.";
const meshK8sEnv = Object.entries(meshEnv()).map(([name, value]) => ({ name, value }));

describe("no-private-key-in-env", () => {
  it.each([
    ["the mesh environment in a container", container(), []],
    ["the mesh environment in a deployment", deployment(), []],
    [
      "a PEM key in any variable",
      container("gateway", {}, { TLS_MATERIAL: PEM_KEY }),
      mandatory(
        "no-private-key-in-env",
        `${docker}: environment variable TLS_MATERIAL holds a PEM private key; ${fix}`,
      ),
    ],
    [
      "PEM content under a key's name",
      container(
        "gateway",
        {},
        { MTLS_KEY: "-----BEGIN ENCRYPTED DATA-----\nabc\n-----END ENCRYPTED DATA-----" },
      ),
      mandatory(
        "no-private-key-in-env",
        `${docker}: environment variable MTLS_KEY holds PEM content under a key's name; ${fix}`,
      ),
    ],
    [
      "a base64-encoded PEM key",
      container("gateway", {}, { KEY_B64: Buffer.from(PEM_KEY).toString("base64") }),
      mandatory(
        "no-private-key-in-env",
        `${docker}: environment variable KEY_B64 holds a base64-encoded PEM private key; ${fix}`,
      ),
    ],
    [
      "a PEM key in a deployment",
      deployment("gateway", { env: [...meshK8sEnv, { name: "MTLS_PRIVATE_KEY", value: PEM_KEY }] }),
      mandatory(
        "no-private-key-in-env",
        `${k8s}: environment variable MTLS_PRIVATE_KEY holds a PEM private key; ${fix}`,
      ),
    ],
    [
      "a Secret's tls.key as a variable",
      deployment("gateway", {
        env: [
          ...meshK8sEnv,
          {
            name: "TLS_KEY",
            valueFrom: { secretKeyRef: { name: "gateway-mtls", key: "tls.key" } },
          },
        ],
      }),
      mandatory(
        "no-private-key-in-env",
        `${k8s}: environment variable TLS_KEY takes key tls.key of Secret gateway-mtls; ${fix}`,
      ),
    ],
    [
      "a value unknown during preview",
      container("gateway", { envs: ["SERVICE_NAME=gateway", UNKNOWN] }),
      advisory(
        "no-private-key-in-env",
        notChecked(`${docker}: whether it holds a private key (envs[1] is unknown)`),
      ),
    ],
  ])("%s", async (_, workload, expected) => {
    expect(await runResourcePolicy(noPrivateKeyInEnv, workload)).toEqual(expected);
  });
});

describe("cert-mounts-read-only", () => {
  it.each([
    ["a read-only bind in a container", container(), []],
    ["a read-only Secret volume in a deployment", deployment(), []],
    [
      "a writable bind holding the certificate files",
      container("gateway", {
        volumes: [{ hostPath: "/var/lib/mesh/gateway", containerPath: "/etc/mtls" }],
      }),
      mandatory(
        "cert-mounts-read-only",
        `${docker}: volume /var/lib/mesh/gateway at /etc/mtls holds certificate files but is writable; set readOnly: true on it.`,
      ),
    ],
    [
      "a writable mount holding the certificate files",
      container("gateway", {
        volumes: [],
        mounts: [{ type: "bind", source: "/srv/certs", target: "/etc/mtls", readOnly: false }],
      }),
      mandatory(
        "cert-mounts-read-only",
        `${docker}: mount /srv/certs at /etc/mtls holds certificate files but is writable; set readOnly: true on it.`,
      ),
    ],
    [
      "a writable data volume elsewhere",
      container("gateway", {
        volumes: [
          { hostPath: "/var/lib/mesh/gateway", containerPath: "/etc/mtls", readOnly: true },
          { volumeName: "data", containerPath: "/var/data" },
        ],
      }),
      [],
    ],
    [
      "a writable Secret volume in a deployment",
      deployment("gateway", { volumeMounts: [{ name: "mtls", mountPath: "/etc/mtls" }] }),
      mandatory(
        "cert-mounts-read-only",
        `${k8s}: volume mtls at /etc/mtls holds certificate files but is writable; set readOnly: true on it.`,
      ),
    ],
    [
      "a read-only flag unknown during preview",
      deployment("gateway", {
        volumeMounts: [{ name: "mtls", mountPath: "/etc/mtls", readOnly: UNKNOWN }],
      }),
      advisory(
        "cert-mounts-read-only",
        notChecked(
          `Deployment 'gateway-deployment': whether it is read-only (readOnly of volume mtls at /etc/mtls is unknown)`,
        ),
      ),
    ],
  ])("%s", async (_, workload, expected) => {
    expect(await runResourcePolicy(certMountsReadOnly, workload)).toEqual(expected);
  });
});

describe("no-subpath-cert-mounts", () => {
  it.each([
    ["a whole Secret volume", deployment(), []],
    [
      "one file of the Secret by subPath",
      deployment("gateway", {
        volumeMounts: [
          { name: "mtls", mountPath: "/etc/mtls/tls.crt", subPath: "tls.crt", readOnly: true },
        ],
      }),
      mandatory(
        "no-subpath-cert-mounts",
        `${k8s}: volume mtls at /etc/mtls/tls.crt uses subPath tls.crt, so rotated certificates never reach the pod; mount the whole Secret volume as a directory.`,
      ),
    ],
    [
      "subPath on a volume that holds no certificates",
      deployment("gateway", {
        volumeMounts: [
          { name: "mtls", mountPath: "/etc/mtls", readOnly: true },
          { name: "config", mountPath: "/etc/app/app.yaml", subPath: "app.yaml" },
        ],
        volumes: [
          { name: "mtls", secret: { secretName: "gateway-mtls" } },
          { name: "config", configMap: { name: "gateway-config" } },
        ],
      }),
      [],
    ],
  ])("%s", async (_, workload, expected) => {
    expect(await runResourcePolicy(noSubPathCertMounts, workload)).toEqual(expected);
  });
});

describe("tls-secret-type", () => {
  const secret = "Secret 'gateway-secret'";
  it.each([
    ["a kubernetes.io/tls Secret", {}, []],
    [
      "an Opaque Secret holding certificates",
      { type: "Opaque" },
      mandatory(
        "tls-secret-type",
        `${secret}: a Secret holding tls.crt, tls.key, ca.crt has type Opaque; set type: kubernetes.io/tls and store the files as tls.crt, tls.key and ca.crt.`,
      ),
    ],
    [
      "no type (Opaque by default) with PEM files in stringData",
      { type: undefined, data: undefined, stringData: { "server.pem": "x", "server.key": "y" } },
      mandatory(
        "tls-secret-type",
        `${secret}: a Secret holding server.pem, server.key has type Opaque; set type: kubernetes.io/tls and store the files as tls.crt, tls.key and ca.crt.`,
      ),
    ],
    [
      "a kubernetes.io/tls Secret without the key",
      { data: { "tls.crt": "Y2VydA==", "ca.crt": "Y2E=" } },
      mandatory("tls-secret-type", `${secret}: a kubernetes.io/tls Secret needs tls.key; add it.`),
    ],
    ["an Opaque Secret of other data", { type: "Opaque", data: { password: "cA==" } }, []],
    [
      "data values unknown during preview",
      { data: { "tls.crt": UNKNOWN, "tls.key": UNKNOWN } },
      [],
    ],
    [
      "all data unknown in a kubernetes.io/tls Secret (the API server checks its keys)",
      { data: UNKNOWN },
      [],
    ],
    [
      "all data unknown in an Opaque Secret",
      { type: "Opaque", data: UNKNOWN },
      advisory(
        "tls-secret-type",
        notChecked(`${secret}: whether it holds certificates (data is unknown)`),
      ),
    ],
    [
      "a type unknown during preview",
      { type: UNKNOWN },
      advisory("tls-secret-type", notChecked(`${secret}: the Secret's type (type is unknown)`)),
    ],
  ])("%s", async (_, change, expected) => {
    expect(await runResourcePolicy(tlsSecretType, tlsSecret("gateway", change))).toEqual(expected);
  });
});

describe("loopback-ports", () => {
  it.each([
    ["127.0.0.1 in dev", "dev", {}, []],
    ["no published port in dev", "dev", { ports: undefined }, []],
    [
      "the default 0.0.0.0 in dev",
      "dev",
      { ports: [{ internal: 8443, external: 18443 }] },
      mandatory(
        "loopback-ports",
        `${docker}: port 8443 is published on 0.0.0.0 (the default) in stack dev; set ip: "127.0.0.1" on the port, or drop the stack from this policy's loopbackOnlyStacks.`,
      ),
    ],
    [
      "0.0.0.0 in local",
      "local",
      { ports: [{ internal: 8443, external: 18443, ip: "0.0.0.0" }] },
      mandatory(
        "loopback-ports",
        `${docker}: port 8443 is published on 0.0.0.0 in stack local; set ip: "127.0.0.1" on the port, or drop the stack from this policy's loopbackOnlyStacks.`,
      ),
    ],
    ["0.0.0.0 in staging", "staging", { ports: [{ internal: 8443, ip: "0.0.0.0" }] }, []],
    [
      "an address unknown during preview",
      "dev",
      { ports: [{ internal: 8443, ip: UNKNOWN }] },
      advisory(
        "loopback-ports",
        notChecked(`${docker}: the published address (ports[0].ip is unknown)`),
      ),
    ],
  ])("%s", async (_, stack, change, expected) => {
    expect(await runResourcePolicy(loopbackPorts, container("gateway", change), {}, stack)).toEqual(
      expected,
    );
  });

  it("takes the stacks from config", async () => {
    const open = container("gateway", { ports: [{ internal: 8443, ip: "0.0.0.0" }] });
    expect(await runResourcePolicy(loopbackPorts, open, { loopbackOnlyStacks: [] }, "dev")).toEqual(
      [],
    );
    expect(
      await runResourcePolicy(loopbackPorts, open, { loopbackOnlyStacks: ["staging"] }, "staging"),
    ).toHaveLength(1);
  });
});
