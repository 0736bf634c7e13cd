/**
 * Pulumi mocks for the unit tests: every registered resource is recorded with its type, name, parent
 * and inputs; certificates come back as real PEMs (so facts can be read from them); any invoke throws.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { MockMonitor } from "@pulumi/pulumi/runtime/mocks";

export interface Recorded {
  type: string;
  name: string;
  /** Name of the parent resource, "" for a resource at the top of the stack. */
  parent: string;
  inputs: Record<string, unknown>;
}

/** A committed fixture certificate (see fixtures/README.md). */
export function fixturePem(name: string): string {
  return readFileSync(join(__dirname, "fixtures", `${name}.pem`), "utf8");
}

/** The PEM the mocks give a certificate resource: distinct for root, intermediate and leaf. */
export function mockCertPem(type: string, inputs: Record<string, unknown>): string {
  if (type === "tls:index/selfSignedCert:SelfSignedCert") return fixturePem("root-p384");
  return inputs.isCaCertificate === true ? fixturePem("issuer-ed25519") : fixturePem("leaf-p256");
}

/** The values the mocks give each tls resource, so tests can predict the inputs of the next one. */
export const mockKeyPem = (name: string) => `-----MOCK PRIVATE KEY ${name}-----`;
export const mockCsrPem = (name: string) => `-----MOCK CSR ${name}-----`;

export interface MockOptions {
  /** Outputs of StackReferences by referenced stack name, and which of them are secret. */
  stackOutputs?: Record<string, { outputs: Record<string, unknown>; secretOutputNames: string[] }>;
}

export interface MockHarness {
  resources: Recorded[];
  reset(): void;
}

const SECRET_SIG = {
  key: "4dabf18193072939515e22adb298388d",
  secret: "1b47061264138c4ac30d75fd1eb44270",
};

/** Inputs as plain data, a secret input shown as `{ secret: value }` so tests can assert it. */
export function revealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG.key] === SECRET_SIG.secret) return { secret: revealSecrets(obj.value) };
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, revealSecrets(v)]));
  }
  return value;
}

function parentName(parentUrn: string): string {
  return parentUrn === "" ? "" : parentUrn.split("::").pop()!;
}

/** Installs the mocks for this test file. Call once, before any resource is created. */
export async function installMocks(options: MockOptions = {}): Promise<MockHarness> {
  const resources: Recorded[] = [];
  const parents = new Map<string, string>();

  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        const parent = parents.get(`${args.type}::${args.name}`) ?? "";
        resources.push({
          type: args.type,
          name: args.name,
          parent,
          inputs: revealSecrets(args.inputs) as Record<string, unknown>,
        });
        const state: Record<string, unknown> = { ...args.inputs };

        switch (args.type) {
          case "tls:index/privateKey:PrivateKey":
            state.privateKeyPem = mockKeyPem(args.name);
            state.publicKeyPem = `-----MOCK PUBLIC KEY ${args.name}-----`;
            break;
          case "tls:index/certRequest:CertRequest":
            state.certRequestPem = mockCsrPem(args.name);
            break;
          case "tls:index/selfSignedCert:SelfSignedCert":
          case "tls:index/locallySignedCert:LocallySignedCert": {
            state.certPem = mockCertPem(args.type, args.inputs);
            state.validityEndTime = "2036-11-30T13:53:31Z";
            break;
          }
          case "pulumi:pulumi:StackReference": {
            const stack = options.stackOutputs?.[String(args.inputs.name)];
            if (stack === undefined) throw new Error(`no such stack ${String(args.inputs.name)}`);
            state.outputs = stack.outputs;
            state.secretOutputNames = stack.secretOutputNames;
            break;
          }
        }
        return { id: args.custom === false ? undefined : `${args.name}-id`, state };
      },
      call(args) {
        // The SDK reports an invoke failure by the gRPC error's `details`, as the engine sets it.
        const message = `unexpected invoke ${args.token}`;
        throw Object.assign(new Error(message), { details: message });
      },
    },
    "mesh-pki",
    "unit",
    false,
  );

  // MockArgs carry no parent, so the parent URN is taken from the request before the mocks see it.
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
  for (const method of ["registerResource", "readResource"] as const) {
    const original = monitor[method].bind(monitor);
    monitor[method] = (req, callback) => {
      parents.set(`${req.getType()}::${req.getName()}`, parentName(req.getParent()));
      return original(req, callback);
    };
  }

  return {
    resources,
    reset() {
      resources.length = 0;
    },
  };
}

/**
 * The value of an output; mocks run as an update, so every output is known. Uses the SDK's own (untyped)
 * `promise()`, so a failed apply rejects here instead of escaping as an unhandled rejection.
 */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return (output as unknown as { promise(): Promise<T> }).promise();
}

/** Waits until every resource that `outputs` depends on has registered. */
export async function settle(...outputs: pulumi.Output<unknown>[]): Promise<void> {
  await Promise.all(outputs.map(valueOf));
  await new Promise((r) => setTimeout(r, 0));
}
