/**
 * Rotation applied to a whole mesh config: each service's generation and replacement trigger at a given
 * clock, what rotates between two instants, and which CA generations exist in each phase of a CA
 * rotation. Pure: no Pulumi.
 */
import type { MeshConfig, ServiceConfig } from "./configResolve";
import { parseInstant, rotationGeneration, serviceStaggerHours } from "./rotation";

export interface ServiceRotation {
  name: string;
  generation: number;
  /** The replacement trigger: changes exactly when the generation does. */
  trigger: string;
  /** Whether the key is replaced with the certificate. */
  rotateKey: boolean;
  staggerHours: number;
  periodHours: number;
  renewBeforeHours: number;
  /** The next scheduled rotation. */
  renewAt: Date;
}

function rotationSettings(config: MeshConfig): MeshConfig["rotation"] {
  return config.rotation;
}

/** One service's rotation at `now`. */
export function serviceRotation(
  config: MeshConfig,
  service: ServiceConfig,
  now: Date,
): ServiceRotation {
  const mesh = rotationSettings(config);
  const periodHours = service.validityHours - service.renewBeforeHours;
  const staggerHours =
    service.rotation.staggerHours ??
    (mesh.stagger ? serviceStaggerHours(service.name, periodHours) : 0);
  const point = rotationGeneration({
    now,
    anchor: parseInstant(mesh.anchor)!,
    validityHours: service.validityHours,
    renewBeforeHours: service.renewBeforeHours,
    forced: mesh.forced + service.rotation.forced,
    staggerHours,
  });
  return {
    name: service.name,
    generation: point.generation,
    trigger: `generation-${point.generation}`,
    rotateKey: service.rotation.rotateKeys ?? mesh.rotateKeys,
    staggerHours,
    periodHours,
    renewBeforeHours: service.renewBeforeHours,
    renewAt: point.renewAt,
  };
}

/** Every service's rotation at `now`, by name, in config order. */
export function meshRotation(config: MeshConfig, now: Date): Record<string, ServiceRotation> {
  return Object.fromEntries(
    Object.values(config.services).map((s) => [s.name, serviceRotation(config, s, now)]),
  );
}

export interface PlannedRotation {
  name: string;
  from: number;
  to: number;
}

/** The services whose generation differs between two instants: what an as-of preview rotates. */
export function rotationsBetween(config: MeshConfig, from: Date, to: Date): PlannedRotation[] {
  const before = meshRotation(config, from);
  const after = meshRotation(config, to);
  return Object.keys(after)
    .filter((n) => after[n].generation !== before[n].generation)
    .map((n) => ({ name: n, from: before[n].generation, to: after[n].generation }));
}

/** The sentence the program logs when MESH_PKI_AS_OF sets its clock. */
export function asOfReport(config: MeshConfig, asOf: string, realNow: Date, now: Date): string {
  const due = rotationsBetween(config, realNow, now);
  const what =
    due.length === 0
      ? "no service rotates by then"
      : `rotating by then: ${due.map((d) => `${d.name} (generation ${d.from} -> ${d.to})`).join(", ")}`;
  return `MESH_PKI_AS_OF=${asOf}: planning as of ${now.toISOString()} instead of the real clock; ${what}`;
}

export interface CaLayout {
  /** CA generations declared in this phase, oldest first; each root is in the trust bundle. */
  trusted: number[];
  /** The generation whose CA signs the services. */
  signer: number;
}

/**
 * The CAs of each phase of a rotation from generation g to g + 1. The old CA stays trusted until the
 * services it signed have been reissued by the new one (phase 2), so no handshake fails in between.
 */
export function caLayout(rotation: { generation: number; phase: 0 | 1 | 2 | 3 }): CaLayout {
  const g = rotation.generation;
  switch (rotation.phase) {
    case 0:
      return { trusted: [g], signer: g };
    case 1:
      return { trusted: [g, g + 1], signer: g };
    case 2:
      return { trusted: [g, g + 1], signer: g + 1 };
    case 3:
      return { trusted: [g + 1], signer: g + 1 };
  }
}

/** Name suffix of CA generation g: none for the first, so `mesh-ca` keeps its name. */
export function caSuffix(generation: number): string {
  return generation === 0 ? "" : `-g${generation}`;
}

/** What the stack recorded about the CA rotation in its last `rotation` output. */
export interface AppliedCaRotation {
  generation: number;
  phase: number;
}

/**
 * Phase 3 removes the old CA from the trust bundle: refused unless the last applied run of this stack
 * was phase 2 (or 3) of the same rotation, i.e. every live service certificate comes from the new CA.
 * A stack that was never deployed has no live certificate and may start anywhere.
 */
export function caPhaseProblem(
  requested: { generation: number; phase: number },
  applied: AppliedCaRotation | undefined,
  deployed: boolean,
): string | undefined {
  if (requested.phase !== 3 || !deployed) return undefined;
  if (applied?.generation === requested.generation && applied.phase >= 2) return undefined;
  const last =
    applied === undefined
      ? "this stack has no record of a CA rotation"
      : `the last applied CA rotation is generation ${applied.generation}, phase ${applied.phase}`;
  return `mesh-pki:rotation.ca.phase: phase 3 would drop CA generation ${requested.generation} from the trust bundle while it still signs live service certificates (${last}); set phase 2 and run pulumi up first, then phase 3`;
}
