import { describe, expect, it } from "vitest";
import { tls13Ciphers, tlsMinVersion } from "../tls-profile";
import { container, deployment, meshEnv } from "./fixtures";
import { advisory, mandatory, notChecked, runResourcePolicy, UNKNOWN } from "./harness";

const docker = "Container 'gateway-container'";
const k8s = "Deployment 'gateway-deployment' container 'gateway'";

function k8sEnv(change: Record<string, string | undefined>) {
  const env = { ...meshEnv(), ...change };
  return deployment("gateway", {
    env: Object.entries(env)
      .filter(([, v]) => v !== undefined)
      .map(([name, value]) => ({ name, value })),
  });
}

describe("tls-min-version", () => {
  it.each([
    ["TLSv1.3 in a container", container(), []],
    ["TLSv1.3 in a deployment", deployment(), []],
    [
      "TLSv1.2 in a container",
      container("gateway", {}, { MTLS_MIN_VERSION: "TLSv1.2" }),
      mandatory(
        "tls-min-version",
        `${docker}: MTLS_MIN_VERSION=TLSv1.2 is below TLSv1.3; set MTLS_MIN_VERSION=TLSv1.3.`,
      ),
    ],
    [
      "no minimum in a deployment",
      k8sEnv({ MTLS_MIN_VERSION: undefined }),
      mandatory(
        "tls-min-version",
        `${k8s}: MTLS_MIN_VERSION is not set, so the service falls back to its own default; set MTLS_MIN_VERSION=TLSv1.3.`,
      ),
    ],
    ["a container outside the mesh", container("gateway", { envs: ["LOG_LEVEL=debug"] }), []],
    [
      "an environment unknown during preview",
      container("gateway", { envs: UNKNOWN }),
      advisory("tls-min-version", notChecked(`${docker}: MTLS_MIN_VERSION (env is unknown)`)),
    ],
  ])("%s", async (_, workload, expected) => {
    expect(await runResourcePolicy(tlsMinVersion, workload)).toEqual(expected);
  });

  it("takes the minimum from config", async () => {
    const tls12 = container("gateway", {}, { MTLS_MIN_VERSION: "TLSv1.2" });
    expect(await runResourcePolicy(tlsMinVersion, tls12, { minVersion: "TLSv1.2" })).toEqual([]);
  });
});

describe("tls13-ciphers", () => {
  it.each([
    ["TLS 1.3 suites", container(), []],
    [
      "a TLS 1.2 suite with a 1.3 minimum",
      container(
        "gateway",
        {},
        { MTLS_CIPHERS: "TLS_AES_256_GCM_SHA384:ECDHE-ECDSA-AES128-GCM-SHA256" },
      ),
      mandatory(
        "tls13-ciphers",
        `${docker}: MTLS_CIPHERS has ECDHE-ECDSA-AES128-GCM-SHA256, which TLS 1.3 never negotiates; with MTLS_MIN_VERSION=TLSv1.3 list only TLS 1.3 suites (e.g. TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256).`,
      ),
    ],
    [
      "a TLS 1.2 suite in a deployment",
      k8sEnv({ MTLS_CIPHERS: "ECDHE-RSA-AES256-GCM-SHA384" }),
      mandatory(
        "tls13-ciphers",
        `${k8s}: MTLS_CIPHERS has ECDHE-RSA-AES256-GCM-SHA384, which TLS 1.3 never negotiates; with MTLS_MIN_VERSION=TLSv1.3 list only TLS 1.3 suites (e.g. TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256).`,
      ),
    ],
    [
      "a TLS 1.2 suite with a 1.2 minimum (tls-min-version judges that)",
      container(
        "gateway",
        {},
        { MTLS_MIN_VERSION: "TLSv1.2", MTLS_CIPHERS: "ECDHE-RSA-AES256-GCM-SHA384" },
      ),
      [],
    ],
    ["no cipher list", k8sEnv({ MTLS_CIPHERS: undefined }), []],
    [
      "another variable unknown during preview beside a known cipher list",
      container("gateway", { envs: [...(container().props.envs as string[]), UNKNOWN] }),
      [],
    ],
  ])("%s", async (_, workload, expected) => {
    expect(await runResourcePolicy(tls13Ciphers, workload)).toEqual(expected);
  });

  it("reports a cipher list it cannot see as not checked", async () => {
    const envs = (container().props.envs as string[]).filter((e) => !e.startsWith("MTLS_CIPHERS="));
    expect(
      await runResourcePolicy(tls13Ciphers, container("gateway", { envs: [...envs, UNKNOWN] })),
    ).toEqual(
      advisory("tls13-ciphers", notChecked(`${docker}: the cipher list (MTLS_CIPHERS is unknown)`)),
    );
  });
});
