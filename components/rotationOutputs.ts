/**
 * The `rotation` stack output: per certificate (services and CAs) the current generation, when it
 * rotates next and when it expires, plus the clock and the CA rotation phase they were computed with.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MeshConfig } from "./configResolve";
import type { Mesh } from "./mesh";
import { MS_PER_HOUR, RotationClock, rotationClock } from "./rotation";
import { asOfReport, caPhaseProblem, caSuffix } from "./rotationPlan";

export interface CertificateRotation {
  /** Changes exactly when the certificate (and by default its key) is replaced. */
  generation: number;
  /** When it is rotated next, ISO 8601: the next boundary, or the provider's renewal point if sooner. */
  renewAt: string;
  /** End of validity of the certificate in place, ISO 8601. */
  notAfter: string;
}

export interface RotationOutput {
  /** The clock the generations were computed at (MESH_PKI_AS_OF in a preview that sets it). */
  clock: string;
  /** Phase of the CA rotation (0 when none is under way) and the current CA generation. */
  caRotation: { generation: number; phase: number };
  /** By service name. */
  services: Record<string, CertificateRotation>;
  /** By CA: `ca` and `issuer` for generation 0, `ca-g<g>` and `issuer-g<g>` after CA rotations. */
  cas: Record<string, CertificateRotation>;
}

const HOURS_PER_DAY = 24;

function renewPoint(notAfter: string, renewBeforeHours: number, scheduled?: Date): string {
  const provider = Date.parse(notAfter) - renewBeforeHours * MS_PER_HOUR;
  const at = scheduled === undefined ? provider : Math.min(provider, scheduled.getTime());
  return new Date(at).toISOString();
}

function caRotation(
  generation: number,
  validityEndTime: pulumi.Output<string>,
  renewBeforeDays: number,
): pulumi.Output<CertificateRotation> {
  return validityEndTime.apply((end) => {
    const notAfter = new Date(end).toISOString();
    return {
      generation,
      renewAt: renewPoint(notAfter, renewBeforeDays * HOURS_PER_DAY),
      notAfter,
    };
  });
}

export function rotationOutput(
  mesh: Mesh,
  config: MeshConfig,
  clock: Date,
): pulumi.Output<RotationOutput> {
  const services = Object.fromEntries(
    Object.entries(mesh.services).map(([name, identity]) => {
      const plan = mesh.rotation[name];
      return [
        name,
        identity.facts.apply((f) => ({
          generation: plan.generation,
          renewAt: renewPoint(f.notAfter, plan.renewBeforeHours, plan.renewAt),
          notAfter: f.notAfter,
        })),
      ];
    }),
  );

  const cas: Record<string, pulumi.Output<CertificateRotation>> = {};
  for (const ca of mesh.caGenerations) {
    const suffix = caSuffix(ca.generation);
    cas[`ca${suffix}`] = caRotation(
      ca.generation,
      ca.rootCa.validityEndTime,
      config.ca.renewBeforeDays,
    );
    if (ca.intermediateCa !== undefined && config.issuer.mode === "intermediate") {
      cas[`issuer${suffix}`] = caRotation(
        ca.generation,
        ca.intermediateCa.validityEndTime,
        config.issuer.renewBeforeDays,
      );
    }
  }

  return pulumi.all([pulumi.all(services), pulumi.all(cas)]).apply(([s, c]) => ({
    clock: clock.toISOString(),
    caRotation: { ...config.rotation.ca },
    services: s,
    cas: c,
  }));
}

/**
 * The program's rotation clock, read before any resource is declared: a MESH_PKI_AS_OF that is not a
 * date (or is set for an up) stops the program with the message alone.
 */
export function loadRotationClock(): RotationClock & { realNow: Date } {
  const realNow = new Date();
  try {
    return { ...rotationClock(process.env, pulumi.runtime.isDryRun(), realNow), realNow };
  } catch (err) {
    throw new pulumi.RunError((err as Error).message);
  }
}

/** Says, when MESH_PKI_AS_OF set the clock, its value and which services rotate by then. */
export function reportRotationClock(
  config: MeshConfig,
  clock: RotationClock & { realNow: Date },
  mesh: Mesh,
): void {
  if (clock.asOf === undefined) return;
  pulumi.log.warn(asOfReport(config, clock.asOf, clock.realNow, clock.now), mesh);
}

/**
 * In phase 3 of a CA rotation, an Output that fails with a RunError unless this stack's last applied run
 * was phase 2 of the same rotation (read from its own `rotation` output). The services' issuer and the
 * trust bundle wait for it, so a refused phase reissues nothing and, the program failing, deletes
 * nothing. Undefined in every other phase.
 */
export function caPhaseGate(config: MeshConfig): pulumi.Output<void> | undefined {
  const requested = config.rotation.ca;
  if (requested.phase !== 3) return undefined;
  const self = new pulumi.StackReference(
    `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
  );
  return self.outputs.apply((outputs) => {
    const applied = (outputs?.rotation as RotationOutput | undefined)?.caRotation;
    const problem = caPhaseProblem(requested, applied, Object.keys(outputs ?? {}).length > 0);
    if (problem !== undefined) throw new pulumi.RunError(problem);
  });
}
