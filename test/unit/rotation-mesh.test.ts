import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MeshConfig, REFERENCE_SERVICES, parseMeshConfig } from "../../components/config";
import { Mesh } from "../../components/mesh";
import { meshStackOutputs } from "../../components/outputs";
import { rotationOutput } from "../../components/rotationOutputs";
import { asOfReport, meshRotation, rotationsBetween } from "../../components/rotationPlan";
import { MockHarness, fixturePem, installMocks, settle, valueOf } from "./mocks";

const KEY = "tls:index/privateKey:PrivateKey";
const CSR = "tls:index/certRequest:CertRequest";
const SELF = "tls:index/selfSignedCert:SelfSignedCert";
const SIGNED = "tls:index/locallySignedCert:LocallySignedCert";
const ROOT_PEM = () => fixturePem("root-p384");
const ISSUER_PEM = () => fixturePem("issuer-ed25519");

let mocks: MockHarness;
beforeAll(async () => {
  mocks = await installMocks();
});
beforeEach(() => mocks.reset());

const config = (values: Record<string, unknown> = {}): MeshConfig =>
  parseMeshConfig(
    Object.fromEntries(
      Object.entries(values).map(([k, v]) => [
        `mesh-pki:${k}`,
        typeof v === "string" ? v : JSON.stringify(v),
      ]),
    ),
  );

/** Short windows for every service: 6 h valid, renewed 2 h before expiry, a period of 4 h. */
const shortWindows = (extra: (name: string) => Record<string, unknown> = () => ({})) =>
  Object.fromEntries(
    REFERENCE_SERVICES.map((n) => [n, { validityHours: 6, renewBeforeHours: 2, ...extra(n) }]),
  );
const shortAlerts = { criticalDaysBeforeExpiry: 0.02, rotationOverdueFor: "30m" };
const ANCHOR = "2026-12-01T00:00:00Z";
const hoursAfterAnchor = (h: number) => new Date(Date.parse(ANCHOR) + h * 3_600_000);

/** Builds a mesh, recording each tls resource's replacement trigger as the SDK received it. */
async function build(cfg: MeshConfig, now: Date) {
  const triggers: Record<string, unknown> = {};
  const mesh = new Mesh(
    "mesh",
    { config: cfg, now },
    {
      transformations: [
        (a) => {
          if (a.type.startsWith("tls:")) triggers[a.name] = a.opts.replacementTrigger;
          return undefined;
        },
      ],
    },
  );
  const out = meshStackOutputs(mesh);
  const rotation = rotationOutput(mesh, cfg, now);
  await settle(out.services, out.serviceKeyPems, out.trustBundlePem, rotation, mesh.urn);
  return { mesh, triggers, rotation: await valueOf(rotation) };
}

const staggered = (stagger: (i: number) => number) =>
  config({
    services: shortWindows((n) => ({
      rotation: { staggerHours: stagger(REFERENCE_SERVICES.indexOf(n as never)) },
    })),
    alerts: shortAlerts,
    rotation: { anchor: ANCHOR, stagger: false },
  });

describe("replacement triggers", () => {
  it("puts the generation on each service key only; CA and requests and certificates carry none", async () => {
    const { triggers } = await build(config(), new Date("2026-12-03T00:00:00Z"));
    const expected = Object.fromEntries(
      Object.values(meshRotation(config(), new Date("2026-12-03T00:00:00Z"))).map((r) => [
        `mesh-${r.name}-key`,
        `generation-${r.generation}`,
      ]),
    );
    expect(Object.fromEntries(Object.entries(triggers).filter(([, v]) => v !== undefined))).toEqual(
      expected,
    );
    expect(Object.keys(triggers).sort()).toEqual(
      [
        "mesh-ca-key",
        "mesh-ca-cert",
        ...REFERENCE_SERVICES.flatMap((n) => [`mesh-${n}-key`, `mesh-${n}-csr`, `mesh-${n}-cert`]),
      ].sort(),
    );
  });

  it("changes only the trigger of the service whose boundary passed", async () => {
    // Staggers 0, 0.5, ..., 2.5 h: at anchor + 0.25 h only gateway's boundary (anchor + 0) lies behind;
    // at anchor + 0.75 h auth's (anchor + 0.5 h) has passed too.
    const cfg = staggered((i) => i * 0.5);
    const before = (await build(cfg, hoursAfterAnchor(0.25))).triggers;
    mocks.reset();
    const after = (await build(cfg, hoursAfterAnchor(0.75))).triggers;
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
    expect(changed).toEqual(["mesh-auth-key"]);
    expect([before["mesh-auth-key"], after["mesh-auth-key"]]).toEqual([
      "generation--1",
      "generation-0",
    ]);
    expect(rotationsBetween(cfg, hoursAfterAnchor(0.25), hoursAfterAnchor(0.75))).toEqual([
      { name: "auth", from: -1, to: 0 },
    ]);
  });

  it("forces one service by its counter and the whole mesh by the mesh counter", async () => {
    const now = new Date("2026-12-03T00:00:00Z");
    const services = (forcedMedia: number) =>
      Object.fromEntries(
        REFERENCE_SERVICES.map((n) => [
          n,
          n === "media" ? { rotation: { forced: forcedMedia } } : {},
        ]),
      );
    const base = (await build(config({ services: services(0) }), now)).triggers;
    mocks.reset();
    const one = (await build(config({ services: services(1) }), now)).triggers;
    mocks.reset();
    const all = (await build(config({ services: services(0), rotation: { forced: 2 } }), now))
      .triggers;

    const gen = (t: Record<string, unknown>, key: string) =>
      Number(String(t[key]).slice("generation-".length));
    expect(Object.keys(one).filter((k) => one[k] !== base[k])).toEqual(["mesh-media-key"]);
    expect(gen(one, "mesh-media-key")).toBe(gen(base, "mesh-media-key") + 1);
    const keys = REFERENCE_SERVICES.map((n) => `mesh-${n}-key`);
    expect(Object.keys(all).filter((k) => all[k] !== base[k])).toEqual(keys);
    for (const k of keys) expect(gen(all, k)).toBe(gen(base, k) + 2);
  });

  it("moves the trigger to the certificate when keys are kept, for the mesh or one service", async () => {
    const now = new Date("2026-12-03T00:00:00Z");
    const { triggers } = await build(
      config({
        rotation: { rotateKeys: false },
        services: Object.fromEntries(
          REFERENCE_SERVICES.map((n) => [
            n,
            n === "auth" ? { rotation: { rotateKeys: true } } : {},
          ]),
        ),
      }),
      now,
    );
    const withTrigger = Object.keys(triggers)
      .filter((k) => triggers[k] !== undefined)
      .sort();
    expect(withTrigger).toEqual(
      REFERENCE_SERVICES.map((n) => (n === "auth" ? "mesh-auth-key" : `mesh-${n}-cert`)).sort(),
    );
  });

  it("sets earlyRenewalHours from the same renew-before in hours", async () => {
    await build(
      staggered(() => 0),
      hoursAfterAnchor(1),
    );
    const certs = mocks.resources.filter((r) => r.type === SIGNED);
    expect(certs).toHaveLength(6);
    for (const c of certs) {
      expect([c.inputs.validityPeriodHours, c.inputs.earlyRenewalHours]).toEqual([6, 2]);
    }
  });
});

describe("the rotation output", () => {
  it("gives each service its generation, next rotation and not-after, and each CA its own", async () => {
    const cfg = staggered((i) => i * 0.5);
    const now = hoursAfterAnchor(1);
    const { rotation } = await build(cfg, now);
    const plan = meshRotation(cfg, now);
    // The mocks' certificates expire 2026-05-01 (fixture), before the scheduled boundary.
    const leafNotAfter = (await valueOf(meshStackOutputs((await build(cfg, now)).mesh).services))
      .gateway.notAfter;
    expect(rotation.clock).toBe(now.toISOString());
    expect(rotation.caRotation).toEqual({ generation: 0, phase: 0 });
    expect(Object.keys(rotation.services)).toEqual([...REFERENCE_SERVICES]);
    for (const n of REFERENCE_SERVICES) {
      const renewAt = Math.min(plan[n].renewAt.getTime(), Date.parse(leafNotAfter) - 2 * 3_600_000);
      expect(rotation.services[n]).toEqual({
        generation: plan[n].generation,
        renewAt: new Date(renewAt).toISOString(),
        notAfter: leafNotAfter,
      });
    }
    expect(rotation.cas).toEqual({
      ca: {
        generation: 0,
        renewAt: "2035-12-01T13:53:31.000Z",
        notAfter: "2036-11-30T13:53:31.000Z",
      },
    });
  });

  it("says what an as-of preview rotates", () => {
    const cfg = staggered((i) => i * 0.5);
    expect(
      asOfReport(cfg, "2026-12-01T00:45:00Z", hoursAfterAnchor(0.25), hoursAfterAnchor(0.75)),
    ).toBe(
      "MESH_PKI_AS_OF=2026-12-01T00:45:00Z: planning as of 2026-12-01T00:45:00.000Z instead of the real clock; rotating by then: auth (generation -1 -> 0)",
    );
    expect(asOfReport(cfg, "x", hoursAfterAnchor(0.6), hoursAfterAnchor(0.7))).toMatch(
      /no service rotates by then$/,
    );
  });
});

describe("CA rotation phases", () => {
  const names = (type: string) =>
    mocks.resources
      .filter((r) => r.type === type)
      .map((r) => r.name)
      .sort();
  const signedBy = (service: string) =>
    mocks.resources.find((r) => r.name === `mesh-${service}-cert`)!.inputs.caCertPem;

  it.each([
    [0, ["mesh-ca-cert"], "ashchan-ca", 1],
    [1, ["mesh-ca-cert", "mesh-ca-g1-cert"], "ashchan-ca", 2],
    [2, ["mesh-ca-cert", "mesh-ca-g1-cert"], "ashchan-ca-g1", 2],
    [3, ["mesh-ca-g1-cert"], "ashchan-ca-g1", 1],
  ] as const)(
    "phase %s: roots %j, services signed by %s, %s roots in the bundle",
    async (phase, roots, signer, inBundle) => {
      const { mesh } = await build(
        config({ rotation: { ca: { generation: 0, phase } } }),
        new Date("2026-12-03T00:00:00Z"),
      );
      expect(names(SELF)).toEqual(roots);
      expect(names(KEY).filter((n) => n.startsWith("mesh-ca"))).toEqual(
        roots.map((r) => r.replace(/-cert$/, "-key")).sort(),
      );
      const signerCert = mocks.resources.find(
        (r) =>
          r.type === SELF && (r.inputs.subject as { commonName: string }).commonName === signer,
      );
      expect(signerCert).toBeDefined();
      for (const n of REFERENCE_SERVICES) expect(signedBy(n)).toBe(ROOT_PEM());
      expect(await mesh.rootCa.commonName).toBe(signer);
      const bundle = await valueOf(mesh.trustBundlePem);
      expect(bundle.match(/BEGIN CERTIFICATE/g)).toHaveLength(inBundle);
    },
  );

  it("rotates the intermediate with its root: mesh-issuer-g1 under mesh-ca-g1 signs in phase 2", async () => {
    const { mesh } = await build(
      config({ issuer: { mode: "intermediate" }, rotation: { ca: { phase: 2 } } }),
      new Date("2026-12-03T00:00:00Z"),
    );
    expect(names(SIGNED).filter((n) => n.startsWith("mesh-issuer"))).toEqual([
      "mesh-issuer-cert",
      "mesh-issuer-g1-cert",
    ]);
    expect(mesh.intermediateCa?.commonName).toBe("ashchan-ca-issuer-g1");
    for (const n of REFERENCE_SERVICES) expect(signedBy(n)).toBe(ISSUER_PEM());
    expect(mocks.resources.filter((r) => r.type === CSR)).toHaveLength(8);
  });

  it("after phase 3, generation + 1 at phase 0 declares the same resources", async () => {
    const now = new Date("2026-12-03T00:00:00Z");
    await build(config({ rotation: { ca: { generation: 0, phase: 3 } } }), now);
    const phase3 = mocks.resources.map((r) => [r.type, r.name, r.inputs]);
    mocks.reset();
    await build(config({ rotation: { ca: { generation: 1, phase: 0 } } }), now);
    expect(mocks.resources.map((r) => [r.type, r.name, r.inputs])).toEqual(phase3);
  });
});

describe("rotation config", () => {
  const problem = (values: Record<string, unknown>) => {
    try {
      config(values);
    } catch (e) {
      return (e as Error).message.split("\n").slice(1);
    }
    return [];
  };

  it("defaults to the documented anchor, stagger on, keys rotated, no forced rotation, CA phase 0", () => {
    expect(config().rotation).toEqual({
      anchor: "2026-01-01T00:00:00Z",
      stagger: true,
      rotateKeys: true,
      forced: 0,
      ca: { generation: 0, phase: 0 },
    });
  });

  it.each([
    [
      { rotation: { forced: -1 } },
      "mesh-pki:rotation.forced: -1 is negative; a rotation counter starts at 0 and only goes up, set 0 or more",
    ],
    [
      { services: { gateway: { rotation: { forced: -2 } } } },
      "mesh-pki:services.gateway.rotation.forced: -2 is negative; a rotation counter starts at 0 and only goes up, set 0 or more",
    ],
    [
      { services: { gateway: { validityHours: 6, renewBeforeHours: 0 } } },
      "mesh-pki:services.gateway.renewBeforeHours: must be at least 1 hour",
    ],
    [
      { services: { gateway: { validityDays: 30, renewBeforeDays: 0 } } },
      "mesh-pki:services.gateway.renewBeforeDays: must be at least 1 day",
    ],
    [
      { services: { gateway: { validityHours: 6, renewBeforeHours: 6 } } },
      "mesh-pki:services.gateway.renewBeforeHours: renewal window of 6 h is not shorter than the validity of 6 h; set a renew-before shorter than the validity and at least 5% of it",
    ],
    [
      { services: { gateway: { validityHours: 6, validityDays: 1 } } },
      "mesh-pki:services.gateway.validityHours: set either validityHours or validityDays, not both",
    ],
    [
      { rotation: { anchor: "soon" } },
      "mesh-pki:rotation.anchor: is not an ISO 8601 date or instant; set e.g. 2026-01-01T00:00:00Z",
    ],
    [
      { rotation: { ca: { phase: 4 } } },
      "mesh-pki:rotation.ca.phase: unknown CA rotation phase 4; use 0 (one CA), 1 (next CA trusted), 2 (services reissued by it) or 3 (old CA removed)",
    ],
    [
      { rotation: { every: "day" } },
      'mesh-pki:rotation: unknown key "every"; the known keys here are: anchor, stagger, rotateKeys, forced, ca',
    ],
  ])("refuses %j", (values, message) => {
    expect(problem(values)[0]).toEqual(`  ${message}`);
  });

  it("asks for alert thresholds that fit short windows", () => {
    expect(problem({ services: shortWindows() })[0]).toMatch(
      /^ {2}mesh-pki:alerts: mesh-pki:alerts.criticalDaysBeforeExpiry \(7\) is not shorter than the renewal window/,
    );
    expect(problem({ services: shortWindows(), alerts: shortAlerts })).toEqual([]);
  });

  it("keeps the hour windows exact in the resolved config", () => {
    const s = config({ services: shortWindows(), alerts: shortAlerts }).services.media;
    expect([s.validityHours, s.renewBeforeHours, s.validityDays, s.renewBeforeDays]).toEqual([
      6,
      2,
      0.25,
      2 / 24,
    ]);
  });
});

// Keeps the import of pulumi used when the file is read alone.
void pulumi;
