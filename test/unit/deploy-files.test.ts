/**
 * FilesDeployment under Pulumi mocks: exactly one file set for the CA bundle, one for the alert rules and
 * one per service, each with the layout's paths, modes and contents, the key kept secret.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ALERT_RULES_PATH,
  CA_BUNDLE_PATH,
  FilesDeployment,
  projectDirectory,
} from "../../components/deploy/files";
import { MockHarness, installMocks, settle } from "./mocks";

const FILE_SET = "pulumi-nodejs:dynamic/mesh-pki:FileSet";
const COMPONENT = "mesh-pki:deploy:FilesDeployment";

let mocks: MockHarness;
beforeAll(async () => {
  mocks = await installMocks();
});
beforeEach(() => mocks.reset());

const services = {
  gateway: { chainPem: "GATEWAY CHAIN", keyPem: pulumi.secret("GATEWAY KEY") },
  auth: { chainPem: "AUTH CHAIN", keyPem: pulumi.secret("AUTH KEY") },
};

/** The recorded file sets by name, without the serialized provider the SDK adds. */
function fileSets(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    mocks.resources
      .filter((r) => r.type === FILE_SET)
      .map((r) => {
        const { __provider, ...inputs } = r.inputs;
        expect(typeof __provider).toBe("string");
        return [r.name, inputs];
      }),
  );
}

async function deploy(args: Partial<ConstructorParameters<typeof FilesDeployment>[1]> = {}) {
  const files = new FilesDeployment("mesh-files", {
    directory: "/srv/mesh/certs",
    trustBundlePem: "BUNDLE",
    services,
    ...args,
  });
  await settle(files.urn);
  await new Promise((r) => setTimeout(r, 50));
  return files;
}

describe("FilesDeployment", () => {
  it("declares the component, the CA bundle, the alert rules and one file set per service", async () => {
    await deploy({ alertRulesYaml: "groups: []\n" });

    expect(mocks.resources.map((r) => [r.type, r.name, r.parent])).toEqual([
      [COMPONENT, "mesh-files", ""],
      [FILE_SET, "mesh-files-ca", "mesh-files"],
      [FILE_SET, "mesh-files-alert-rules", "mesh-files"],
      [FILE_SET, "mesh-files-gateway", "mesh-files"],
      [FILE_SET, "mesh-files-auth", "mesh-files"],
    ]);
    expect(fileSets()).toEqual({
      "mesh-files-ca": {
        directory: "/srv/mesh/certs",
        files: [{ path: CA_BUNDLE_PATH, content: "BUNDLE", mode: 0o644 }],
      },
      "mesh-files-alert-rules": {
        directory: "/srv/mesh/certs",
        files: [{ path: ALERT_RULES_PATH, content: "groups: []\n", mode: 0o644 }],
      },
      "mesh-files-gateway": {
        directory: "/srv/mesh/certs",
        files: {
          secret: [
            { path: "services/gateway/gateway.crt", content: "GATEWAY CHAIN", mode: 0o644 },
            { path: "services/gateway/gateway.key", content: "GATEWAY KEY", mode: 0o600 },
          ],
        },
      },
      "mesh-files-auth": {
        directory: "/srv/mesh/certs",
        files: {
          secret: [
            { path: "services/auth/auth.crt", content: "AUTH CHAIN", mode: 0o644 },
            { path: "services/auth/auth.key", content: "AUTH KEY", mode: 0o600 },
          ],
        },
      },
    });
  });

  it("declares no alert-rules file set when no rules are given", async () => {
    await deploy();
    expect(Object.keys(fileSets())).toEqual([
      "mesh-files-ca",
      "mesh-files-gateway",
      "mesh-files-auth",
    ]);
  });

  it("exposes the absolute paths of every file", async () => {
    const files = await deploy();
    expect(files.directory).toBe("/srv/mesh/certs");
    expect(files.caFile).toBe("/srv/mesh/certs/ca/ca.crt");
    expect(files.paths).toEqual({
      gateway: {
        certFile: "/srv/mesh/certs/services/gateway/gateway.crt",
        keyFile: "/srv/mesh/certs/services/gateway/gateway.key",
      },
      auth: {
        certFile: "/srv/mesh/certs/services/auth/auth.crt",
        keyFile: "/srv/mesh/certs/services/auth/auth.key",
      },
    });
  });

  it("takes a relative directory from the project directory", async () => {
    await deploy({ directory: "certs" });
    expect(fileSets()["mesh-files-ca"].directory).toBe(path.join(projectDirectory(), "certs"));
  });

  it("refuses a mesh without services before declaring anything", async () => {
    expect(
      () => new FilesDeployment("mesh-files", { trustBundlePem: "BUNDLE", services: {} }),
    ).toThrow("the files deploy target needs at least one service in mesh-pki:services");
    await new Promise((r) => setTimeout(r, 20));
    expect(mocks.resources).toEqual([]);
  });
});
