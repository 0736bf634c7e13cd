/**
 * Rotation through the real engine: short windows (hours), an as-of preview past one service's renewal
 * point, the real clock crossing a boundary together with the provider's own early renewal, forced
 * rotation, bad input, and a CA rotation in three phases with the 36-pair mTLS matrix after each.
 *
 * Boundaries are placed seconds ahead by moving one service's stagger (checked first, with the pure
 * rotation function, not to change its current generation), so the test waits seconds, not hours.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineEvent, LocalWorkspace } from "@pulumi/pulumi/automation";
import { REFERENCE_SERVICES } from "../../components/config";
import { AS_OF_VARIABLE, rotationGeneration } from "../../components/rotation";
import { EngineSession, PlannedStep, TestStack, timeouts } from "../support/engine";
import { openssl, PemDir } from "../support/pem";
import { mutualHandshake } from "../support/tls";

const SERVICES = [...REFERENCE_SERVICES];
const TRUST_DOMAIN = "ashchan.local";
const H = 3_600_000;
const VALIDITY_HOURS = 6;
const RENEW_BEFORE_HOURS = 2;
const PERIOD = (VALIDITY_HOURS - RENEW_BEFORE_HOURS) * H;

interface ServiceOutput {
  certPem: string;
  chainPem: string;
  spiffeId: string;
  serialNumber: string;
  notAfter: string;
}
interface Snapshot {
  bundle: string;
  services: Record<string, ServiceOutput>;
  keys: Record<string, string>;
  rotation: { services: Record<string, { generation: number; renewAt: string; notAfter: string }> };
}

let session: EngineSession;
let stack: TestStack;
let pems: PemDir;
// Nine hours before the start: every initial stagger (2 h to 3.5 h) keeps its generation for 30 minutes.
const anchor = new Date(Math.floor(Date.now() / 1000) * 1000 - 9 * H);
const staggers: Record<string, number> = {
  gateway: 2,
  auth: 2.25,
  boards: 2.5,
  media: 2.75,
  search: 3,
  moderation: 3.25,
};
const forced: Record<string, number> = {};
const timings: string[] = [];

function servicesConfig(): string {
  return JSON.stringify(
    Object.fromEntries(
      SERVICES.map((n) => [
        n,
        {
          validityHours: VALIDITY_HOURS,
          renewBeforeHours: RENEW_BEFORE_HOURS,
          rotation: { staggerHours: staggers[n], forced: forced[n] ?? 0 },
        },
      ]),
    ),
  );
}

const generationAt = (name: string, now: number, stagger = staggers[name]) =>
  rotationGeneration({
    now: new Date(now),
    anchor,
    validityHours: VALIDITY_HOURS,
    renewBeforeHours: RENEW_BEFORE_HOURS,
    forced: forced[name] ?? 0,
    staggerHours: stagger,
  }).generation;

/**
 * Moves a service's stagger so its next boundary falls `inMs` from now, without changing its current
 * generation (asserted), and returns the boundary.
 */
async function boundaryIn(name: string, inMs: number): Promise<number> {
  const now = Date.now();
  const boundary = now + inMs;
  const stagger = (((boundary - anchor.getTime()) % PERIOD) + PERIOD) % PERIOD;
  const hours = stagger / H;
  expect(generationAt(name, now, hours)).toBe(generationAt(name, now));
  expect(generationAt(name, boundary, hours)).toBe(generationAt(name, now) + 1);
  staggers[name] = hours;
  await stack.setConfig({ "mesh-pki:services": servicesConfig() });
  return boundary;
}

async function sleepUntil(instant: number): Promise<void> {
  const ms = instant - Date.now();
  expect(ms, "waiting for a boundary").toBeLessThan(5 * 60_000);
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

function workspace(): LocalWorkspace {
  return stack.stack.workspace as LocalWorkspace;
}

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const start = Date.now();
  const result = await run();
  timings.push(`${label}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
  return result;
}

/** Steps of a run, without the stack and providers, as name -> the engine's operations on it. */
function changes(steps: readonly PlannedStep[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of steps) {
    if (s.op === "same") continue;
    (out[s.name] ??= []).push(s.op);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** A preview, optionally as of an instant, with its steps and the program's diagnostics. */
async function preview(asOf?: string) {
  if (asOf !== undefined) workspace().envVars[AS_OF_VARIABLE] = asOf;
  const events: EngineEvent[] = [];
  try {
    await timed(`preview${asOf ? ` as of ${asOf}` : ""}`, () =>
      stack.stack.preview({
        onEvent: (e) => events.push(e),
        signal: AbortSignal.timeout(timeouts.operation),
      }),
    );
  } finally {
    delete workspace().envVars[AS_OF_VARIABLE];
  }
  return {
    steps: stepsOf(events),
    diagnostics: events.flatMap((e) => (e.diagnosticEvent ? [e.diagnosticEvent.message] : [])),
  };
}

function stepsOf(events: EngineEvent[]): PlannedStep[] {
  return events.flatMap((e) => {
    const m = e.resourcePreEvent?.metadata;
    if (!m || m.type === "pulumi:pulumi:Stack" || m.type.startsWith("pulumi:providers:")) return [];
    return [
      {
        urn: m.urn,
        type: m.type,
        name: m.urn.split("::").at(-1)!,
        op: m.op,
        replaceKeys: m.keys ?? [],
        diffs: m.diffs ?? [],
      },
    ];
  });
}

/** An up that also records the steps the engine took. */
async function up(label: string) {
  const events: EngineEvent[] = [];
  const result = await timed(label, () =>
    stack.stack.up({
      onEvent: (e) => events.push(e),
      signal: AbortSignal.timeout(timeouts.operation),
    }),
  );
  return { summary: result.summary.resourceChanges ?? {}, steps: stepsOf(events) };
}

async function snapshot(): Promise<Snapshot> {
  const o = await stack.outputs();
  return {
    bundle: o.trustBundlePem.value,
    services: o.services.value,
    keys: o.serviceKeyPems.value,
    rotation: o.rotation.value,
  };
}

/** The services whose serial and whose key differ between two snapshots. */
function rotated(a: Snapshot, b: Snapshot) {
  return {
    serials: SERVICES.filter((n) => a.services[n].serialNumber !== b.services[n].serialNumber),
    keys: SERVICES.filter((n) => a.keys[n] !== b.keys[n]),
  };
}

/** The engine's steps for one replacement: the new resource first, the old one deleted at the end. */
const REPLACED = ["create-replacement", "replace", "delete-replaced"];

/** Steps of one service's rotation, plus the file sets that follow it. */
const rotationOf = (name: string) => ({
  [`mesh-${name}-cert`]: REPLACED,
  [`mesh-${name}-csr`]: REPLACED,
  [`mesh-${name}-key`]: REPLACED,
  [`mesh-files-${name}`]: ["update"],
  // The alert rules record each certificate's not-after, so they follow a new certificate.
  "mesh-files-alert-rules": ["update"],
});

function withoutSame(summary: Record<string, number>) {
  return Object.fromEntries(Object.entries(summary).filter(([k]) => k !== "same"));
}

async function matrix(s: Snapshot, label: string) {
  const failures: string[] = [];
  for (const server of SERVICES) {
    for (const client of SERVICES) {
      const r = await mutualHandshake(
        { certPem: s.services[server].chainPem, keyPem: s.keys[server], caPem: s.bundle },
        { certPem: s.services[client].chainPem, keyPem: s.keys[client], caPem: s.bundle },
        `${server}.${TRUST_DOMAIN}`,
      );
      const ok =
        r.ok &&
        r.protocol === "TLSv1.3" &&
        r.serverSawClient === s.services[client].spiffeId &&
        r.clientSawServer === s.services[server].spiffeId;
      if (!ok) failures.push(`${label}: ${client} -> ${server}: ${JSON.stringify(r)}`);
    }
  }
  return failures;
}

let first: Snapshot;

beforeAll(async () => {
  session = await EngineSession.start("rotation");
  pems = await PemDir.create("rotation-pems");
  stack = await session.projectStack({
    stackName: "e2e-rotation",
    config: {
      "mesh-pki:deploy": JSON.stringify({ target: "files", directory: `${pems.dir}/certs` }),
      "mesh-pki:alerts": JSON.stringify({
        criticalDaysBeforeExpiry: 0.02,
        rotationOverdueFor: "30m",
      }),
      "mesh-pki:rotation": JSON.stringify({ anchor: anchor.toISOString(), stagger: false }),
      "mesh-pki:services": servicesConfig(),
    },
  });
  const created = await up("first up (create)");
  expect(created.summary.create).toBeGreaterThan(0);
  first = await snapshot();
});

afterAll(async () => {
  console.log(`rotation e2e timings:\n  ${timings.join("\n  ")}`);
  await session?.cleanup();
  await pems?.remove();
});

describe("rotation by validity windows, with the real engine", () => {
  let afterMedia: Snapshot;

  it("previews as of a date past media's renewal point: exactly media's key, request and certificate", async () => {
    const boundary = await boundaryIn("media", 60_000);
    const asOf = new Date(boundary + 1000).toISOString();
    const planned = await preview(asOf);
    expect(Date.now(), "the preview must end before the real boundary").toBeLessThan(boundary);

    expect(changes(planned.steps)).toEqual(rotationOf("media"));
    expect(planned.diagnostics.join("")).toContain(
      `MESH_PKI_AS_OF=${asOf}: planning as of ${asOf} instead of the real clock; rotating by then: media (generation ${generationAt("media", boundary - 1)} -> ${generationAt("media", boundary)})`,
    );

    // The same preview on the real clock, still before the boundary: nothing to do.
    const now = await preview();
    expect(Date.now()).toBeLessThan(boundary);
    expect(changes(now.steps)).toEqual({});

    // Once the real clock is past it, up replaces media's key, request and certificate once.
    await sleepUntil(boundary + 1000);
    const applied = await up("up past media's boundary");
    expect(withoutSame(applied.summary)).toEqual({ replace: 3, update: 2 });
    expect(changes(applied.steps)).toEqual(rotationOf("media"));
    afterMedia = await snapshot();
    expect(rotated(first, afterMedia)).toEqual({ serials: ["media"], keys: ["media"] });
    expect(afterMedia.rotation.services.media.generation).toBe(
      first.rotation.services.media.generation + 1,
    );
  });

  it("reports no changes on an immediate second up", async () => {
    const again = await up("second up");
    expect(withoutSame(again.summary)).toEqual({});
    expect(rotated(afterMedia, await snapshot())).toEqual({ serials: [], keys: [] });
  });

  it("on the real clock, with the provider's early-renewal window begun too, rotates once with the key", async () => {
    const boundary = await boundaryIn("search", 75_000);
    const before = await snapshot();

    // Make search's certificate look one period old, as it would be at its boundary in real life: the
    // provider's window (validityEndTime - earlyRenewalHours) has then begun.
    const state = await stack.exportState();
    const resources = state.deployment.resources as Array<{
      urn: string;
      outputs: Record<string, unknown>;
    }>;
    const cert = resources.find((r) => r.urn.endsWith("::mesh-search-cert"))!;
    cert.outputs.validityEndTime = new Date(
      Date.now() + RENEW_BEFORE_HOURS * H - 5 * 60_000,
    ).toISOString();
    await stack.stack.importStack(state);

    // Before the boundary, only the provider fires: the certificate alone, the key kept.
    const providerOnly = await preview();
    expect(Date.now(), "the preview must end before the real boundary").toBeLessThan(boundary);
    expect(changes(providerOnly.steps)).toEqual({
      "mesh-files-alert-rules": ["update"],
      "mesh-files-search": ["update"],
      "mesh-search-cert": REPLACED,
    });
    expect(
      providerOnly.steps.find((s) => s.name === "mesh-search-cert" && s.op === "replace")
        ?.replaceKeys,
    ).toEqual(["readyForRenewal"]);

    // Past the boundary both fire, and the service rotates once, key included.
    await sleepUntil(boundary + 1000);
    const planned = await preview();
    expect(changes(planned.steps)).toEqual(rotationOf("search"));
    const applied = await up("up with both due");
    expect(withoutSame(applied.summary)).toEqual({ replace: 3, update: 2 });
    expect(changes(applied.steps)).toEqual(rotationOf("search"));
    const after = await snapshot();
    expect(rotated(before, after)).toEqual({ serials: ["search"], keys: ["search"] });
    expect(Date.parse(after.services.search.notAfter)).toBeGreaterThan(Date.now() + 5.9 * H);

    const again = await up("up after both fired");
    expect(withoutSame(again.summary)).toEqual({});
  });

  it("forced rotation of one service replaces only that service's key and certificate", async () => {
    const before = await snapshot();
    forced.gateway = 1;
    await stack.setConfig({ "mesh-pki:services": servicesConfig() });
    const applied = await up("up with gateway forced");
    expect(withoutSame(applied.summary)).toEqual({ replace: 3, update: 2 });
    expect(changes(applied.steps)).toEqual(rotationOf("gateway"));
    const after = await snapshot();
    expect(rotated(before, after)).toEqual({ serials: ["gateway"], keys: ["gateway"] });
    expect(after.rotation.services.gateway.generation).toBe(
      before.rotation.services.gateway.generation + 1,
    );
  });

  it.each([
    [
      "a renew-before of zero",
      { "mesh-pki:services": () => servicesWith({ renewBeforeHours: 0 }) },
      undefined,
      "mesh-pki:services.gateway.renewBeforeHours: must be at least 1 hour",
    ],
    [
      "a renew-before not shorter than the validity",
      { "mesh-pki:services": () => servicesWith({ renewBeforeHours: VALIDITY_HOURS }) },
      undefined,
      "mesh-pki:services.gateway.renewBeforeHours: renewal window of 6 h is not shorter than the validity of 6 h",
    ],
    [
      "a negative counter",
      {
        "mesh-pki:rotation": () =>
          JSON.stringify({ anchor: anchor.toISOString(), stagger: false, forced: -1 }),
      },
      undefined,
      "mesh-pki:rotation.forced: -1 is negative; a rotation counter starts at 0 and only goes up",
    ],
    [
      "MESH_PKI_AS_OF that is not a date",
      {},
      "next tuesday",
      'MESH_PKI_AS_OF="next tuesday" is not an ISO 8601 date',
    ],
  ])("refuses %s with a clear error and touches no resource", async (_, bad, asOf, message) => {
    const before = stateOf(await stack.resources());
    const saved = await stack.stack.getAllConfig();
    const values = Object.fromEntries(Object.entries(bad).map(([k, v]) => [k, v()]));
    await stack.setConfig(values);
    if (asOf !== undefined) workspace().envVars[AS_OF_VARIABLE] = asOf;
    try {
      await expect(stack.preview()).rejects.toThrow(message);
      await expect(stack.stack.up()).rejects.toThrow(message);
    } finally {
      delete workspace().envVars[AS_OF_VARIABLE];
      for (const key of Object.keys(values)) {
        await stack.setConfig({ [key]: saved[key].value });
      }
    }
    expect(stateOf(await stack.resources())).toEqual(before);
  });
});

/**
 * Each resource's id and outputs, by URN: what a run that touched it would change. Secrets are shown as
 * a marker, since every checkpoint encrypts them afresh.
 */
function stateOf(resources: Array<Record<string, unknown>>) {
  const hideSecrets = (_: string, v: unknown) =>
    v !== null && typeof v === "object" && "ciphertext" in v ? "[secret]" : v;
  return Object.fromEntries(
    resources.map((r) => [
      String(r.urn),
      JSON.stringify({ id: r.id, outputs: r.outputs }, hideSecrets),
    ]),
  );
}

function servicesWith(gateway: Record<string, unknown>): string {
  const parsed = JSON.parse(servicesConfig()) as Record<string, Record<string, unknown>>;
  parsed.gateway = { ...parsed.gateway, ...gateway };
  return JSON.stringify(parsed);
}

describe("CA rotation in three phases, with the real engine", () => {
  const phases: Snapshot[] = [];

  async function phase(n: 1 | 2 | 3) {
    await stack.setConfig({
      "mesh-pki:rotation": JSON.stringify({
        anchor: anchor.toISOString(),
        stagger: false,
        ca: { generation: 0, phase: n },
      }),
    });
    const applied = await up(`up CA phase ${n}`);
    const s = await snapshot();
    phases[n] = s;
    return { applied, s };
  }

  it("phase 1: a new root exists, the bundle holds both, services unchanged; all 36 pairs talk", async () => {
    const before = await snapshot();
    const { applied, s } = await phase(1);
    expect(changes(applied.steps)).toEqual({
      "mesh-ca-g1": ["create"],
      "mesh-ca-g1-cert": ["create"],
      "mesh-ca-g1-key": ["create"],
      "mesh-files-ca": ["update"],
    });
    expect(s.bundle.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(rotated(before, s)).toEqual({ serials: [], keys: [] });
    expect(await matrix(s, "phase 1")).toEqual([]);
  });

  it("refuses phase 3 straight after phase 1, reissuing and deleting nothing", async () => {
    const before = stateOf(await stack.resources());
    await stack.setConfig({
      "mesh-pki:rotation": JSON.stringify({
        anchor: anchor.toISOString(),
        stagger: false,
        ca: { generation: 0, phase: 3 },
      }),
    });
    await expect(stack.stack.up()).rejects.toThrow(
      "mesh-pki:rotation.ca.phase: phase 3 would drop CA generation 0 from the trust bundle while it still signs live service certificates (the last applied CA rotation is generation 0, phase 1); set phase 2 and run pulumi up first, then phase 3",
    );
    // The check reads the stack's own outputs; that read is all the failed run leaves in state.
    const after = stateOf(await stack.resources());
    delete after[
      "urn:pulumi:e2e-rotation::mesh-pki::pulumi:pulumi:StackReference::organization/mesh-pki/e2e-rotation"
    ];
    expect(after).toEqual(before);
  });

  it("phase 2: services are reissued by the new root, keys kept; old and new identities talk", async () => {
    const { applied, s } = await phase(2);
    // The refused phase 3 left its read of the stack's own outputs in state; this run discards it.
    expect(withoutSame(applied.summary)).toEqual({ discard: 1, replace: 6, update: 7 });
    expect(rotated(phases[1], s)).toEqual({ serials: SERVICES, keys: [] });
    expect(s.bundle).toBe(phases[1].bundle);
    expect(await matrix(s, "phase 2")).toEqual([]);

    // During the overlap a service still serving its old-CA certificate talks to reissued ones.
    const mixed: Snapshot = {
      ...s,
      services: { ...s.services, media: phases[1].services.media, auth: phases[1].services.auth },
    };
    expect(await matrix(mixed, "phase 2 mixed")).toEqual([]);
  });

  it("phase 3: the old root leaves the bundle; the matrix passes and an old-CA certificate is refused", async () => {
    const { applied, s } = await phase(3);
    expect(changes(applied.steps)).toEqual({
      "mesh-ca": ["delete"],
      "mesh-ca-cert": ["delete"],
      "mesh-ca-key": ["delete"],
      "mesh-files-ca": ["update"],
      // The stack's own last outputs, read to check that phase 2 was applied.
      "organization/mesh-pki/e2e-rotation": ["read"],
    });
    expect(s.bundle.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    expect(s.bundle).toBe(phases[1].bundle.split(/(?<=-----END CERTIFICATE-----\n)/)[1]);
    expect(await matrix(s, "phase 3")).toEqual([]);

    const old = phases[1];
    const refused = await mutualHandshake(
      { certPem: s.services.gateway.chainPem, keyPem: s.keys.gateway, caPem: s.bundle },
      { certPem: old.services.media.chainPem, keyPem: old.keys.media, caPem: s.bundle },
      `gateway.${TRUST_DOMAIN}`,
    );
    expect(refused.ok).toBe(false);
    // The same pair with the overlap bundle of phase 1 still talks: the bundle is what refuses it.
    const control = await mutualHandshake(
      { certPem: s.services.gateway.chainPem, keyPem: s.keys.gateway, caPem: old.bundle },
      { certPem: old.services.media.chainPem, keyPem: old.keys.media, caPem: old.bundle },
      `gateway.${TRUST_DOMAIN}`,
    );
    expect(control.ok).toBe(true);
    const caFile = await pems.write("phase3-bundle.pem", s.bundle);
    const oldCert = await pems.write("old-media.pem", old.services.media.certPem);
    const verified = await openssl(["verify", "-CAfile", caFile, oldCert]);
    expect(verified.ok).toBe(false);
    expect(verified.output).toContain("unable to get local issuer certificate");

    // Promoting the new generation (generation 1, phase 0) declares the same resources.
    await stack.setConfig({
      "mesh-pki:rotation": JSON.stringify({
        anchor: anchor.toISOString(),
        stagger: false,
        ca: { generation: 1, phase: 0 },
      }),
    });
    const promoted = await up("up CA generation 1, phase 0");
    // Only phase 3's read of the stack's own outputs goes; no CA, key or certificate changes.
    expect(withoutSame(promoted.summary)).toEqual({ discard: 1 });
    expect(rotated(s, await snapshot())).toEqual({ serials: [], keys: [] });
    expect((await snapshot()).bundle).toBe(s.bundle);
  });
});
