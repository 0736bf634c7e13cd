/**
 * A typed view of a mesh-pki stack's outputs for other stacks, through `StackReference`: the trust
 * bundle and service facts as plain values, each service key as a secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
  OUTPUT_NAMES,
  ServiceOutput,
  serviceKeyPemsOutputSchema,
  servicesOutputSchema,
} from "./outputContract";

export type { ServiceOutput } from "./outputContract";

export interface MeshPkiReferenceArgs {
  /** The mesh-pki stack to read, fully qualified, e.g. `organization/mesh-pki/local`. */
  stack: pulumi.Input<string>;
}

/**
 * Checks the value of one output against the shape mesh-pki exports, so a producer/consumer mismatch
 * fails with the stack and output named. Pure.
 */
export function checkOutput<T>(
  stack: string,
  output: string,
  schema: z.ZodType<T>,
  value: unknown,
): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    throw new Error(
      `stack ${stack}: output "${output}" does not have the shape mesh-pki exports (${where}${issue.message}); update the stack or this helper`,
    );
  }
  return result.data;
}

/** One entry of a by-service map, or an error naming the services there are. Pure. */
export function pickService<T>(stack: string, byName: Record<string, T>, serviceName: string): T {
  const found = byName[serviceName];
  if (found === undefined) {
    throw new Error(
      `stack ${stack} has no service "${serviceName}"; its services are: ${Object.keys(byName).join(", ")}`,
    );
  }
  return found;
}

/**
 * Reads a mesh-pki stack. Each output is fetched when first used, so a consumer that needs only the
 * bundle does not depend on the rest.
 */
export class MeshPkiReference {
  readonly stackReference: pulumi.StackReference;

  private readonly stack: pulumi.Input<string>;
  private readonly cache = new Map<string, pulumi.Output<unknown>>();

  constructor(name: string, args: MeshPkiReferenceArgs, opts?: pulumi.CustomResourceOptions) {
    this.stack = args.stack;
    this.stackReference = new pulumi.StackReference(name, { name: args.stack }, opts);
  }

  /** The CA certificates a peer must trust. Plain. */
  get trustBundlePem(): pulumi.Output<string> {
    return this.read(OUTPUT_NAMES.trustBundlePem, z.string());
  }

  /** The certificate of the CA that signs the services. Plain. */
  get issuerCertPem(): pulumi.Output<string> {
    return this.read(OUTPUT_NAMES.issuerCertPem, z.string());
  }

  /** Public facts of every service, by name. Plain. */
  get services(): pulumi.Output<Record<string, ServiceOutput>> {
    return this.read(OUTPUT_NAMES.services, servicesOutputSchema);
  }

  /** The public facts of one service; fails naming the known services when it is not in the mesh. */
  service(serviceName: string): pulumi.Output<ServiceOutput> {
    return pulumi
      .all([this.stack, this.services])
      .apply(([stack, services]) => pickService(stack, services, serviceName));
  }

  /** The private key PEM of one service, as a secret. */
  serviceKeyPem(serviceName: string): pulumi.Output<string> {
    const keys = this.read(OUTPUT_NAMES.serviceKeyPems, serviceKeyPemsOutputSchema);
    return pulumi.secret(
      pulumi
        .all([this.stack, keys])
        .apply(([stack, byName]) => pickService(stack, byName, serviceName)),
    );
  }

  private read<T>(output: string, schema: z.ZodType<T>): pulumi.Output<T> {
    let value = this.cache.get(output);
    if (value === undefined) {
      value = pulumi
        .all([this.stack, this.stackReference.requireOutput(output)])
        .apply(([stack, raw]) => checkOutput(stack, output, schema, raw));
      this.cache.set(output, value);
    }
    return value as pulumi.Output<T>;
  }
}
