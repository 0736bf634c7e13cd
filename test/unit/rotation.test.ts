import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AS_OF_VARIABLE,
  DEFAULT_ROTATION_ANCHOR,
  MS_PER_HOUR,
  hourWindows,
  parseInstant,
  rotationClock,
  rotationGeneration,
  serviceStaggerHours,
} from "../../components/rotation";
import { caLayout, caPhaseProblem, caSuffix } from "../../components/rotationPlan";

const H = MS_PER_HOUR;
const anchor = new Date(DEFAULT_ROTATION_ANCHOR);
const at = (hours: number) => new Date(anchor.getTime() + hours * H);

describe("rotationGeneration", () => {
  // validity 6 h, renew-before 2 h: a period of 4 h from the anchor.
  it.each([
    { hours: 0, stagger: 0, forced: 0, generation: 0, renewAt: 4 },
    { hours: 3.99, stagger: 0, forced: 0, generation: 0, renewAt: 4 },
    { hours: 4, stagger: 0, forced: 0, generation: 1, renewAt: 8 },
    { hours: 9, stagger: 0, forced: 0, generation: 2, renewAt: 12 },
    { hours: 9, stagger: 1.5, forced: 0, generation: 1, renewAt: 9.5 },
    { hours: 9.5, stagger: 1.5, forced: 0, generation: 2, renewAt: 13.5 },
    { hours: 9, stagger: 0, forced: 3, generation: 5, renewAt: 12 },
    { hours: -1, stagger: 0, forced: 0, generation: -1, renewAt: 0 },
  ])(
    "at anchor + $hours h, stagger $stagger h, forced $forced: generation $generation, next at $renewAt h",
    ({ hours, stagger, forced, generation, renewAt }) => {
      const point = rotationGeneration({
        now: at(hours),
        anchor,
        validityHours: 6,
        renewBeforeHours: 2,
        forced,
        staggerHours: stagger,
      });
      expect(point.generation).toBe(generation);
      expect(point.periodHours).toBe(4);
      expect(point.renewAt).toEqual(at(renewAt));
      expect(point.since).toEqual(at(renewAt - 4));
      expect(point.notAfter).toEqual(at(renewAt - 4 + 6));
    },
  );

  it("reproduces the reference windows (365 d, renew 30 d): a rotation every 335 days", () => {
    const point = rotationGeneration({
      now: new Date("2027-01-01T00:00:00Z"),
      anchor,
      validityHours: 365 * 24,
      renewBeforeHours: 30 * 24,
      forced: 0,
    });
    expect(point).toEqual({
      generation: 1,
      periodHours: 335 * 24,
      since: new Date("2026-12-02T00:00:00Z"),
      renewAt: new Date("2027-11-02T00:00:00Z"),
      notAfter: new Date("2027-12-02T00:00:00Z"),
    });
  });

  it.each([
    { validity: 6, renewBefore: 0, forced: 0, error: "no renewal window" },
    { validity: 6, renewBefore: 6, forced: 0, error: "is not shorter than the validity" },
    { validity: 6, renewBefore: 7, forced: 0, error: "is not shorter than the validity" },
    { validity: 6, renewBefore: 2, forced: -1, error: "forced must be a whole number 0 or more" },
    { validity: 6, renewBefore: 2, forced: 0.5, error: "forced must be a whole number 0 or more" },
  ])(
    "refuses validity $validity h, renew-before $renewBefore h, forced $forced",
    ({ validity, renewBefore, forced, error }) => {
      expect(() =>
        rotationGeneration({
          now: anchor,
          anchor,
          validityHours: validity,
          renewBeforeHours: renewBefore,
          forced,
        }),
      ).toThrow(error);
    },
  );
});

// Windows in whole hours up to a year, renew-before shorter than the validity.
const windows = fc.integer({ min: 2, max: 398 * 24 }).chain((validityHours) =>
  fc.record({
    validityHours: fc.constant(validityHours),
    renewBeforeHours: fc.integer({ min: 1, max: validityHours - 1 }),
  }),
);
const instant = fc.integer({ min: -5 * 365 * 24, max: 20 * 365 * 24 }).map((h) => at(h));
const stagger = fc.double({ min: 0, max: 5000, noNaN: true });

describe("rotationGeneration properties", () => {
  it("changes the generation only at a boundary: constant on [since, renewAt), one up at renewAt", () => {
    fc.assert(
      fc.property(windows, instant, stagger, fc.nat(5), (w, now, staggerHours, forced) => {
        const input = { ...w, anchor, forced, staggerHours };
        const point = rotationGeneration({ ...input, now });
        const gen = (t: number) => rotationGeneration({ ...input, now: new Date(t) }).generation;
        expect(point.since.getTime()).toBeLessThanOrEqual(now.getTime());
        expect(point.renewAt.getTime()).toBeGreaterThan(now.getTime());
        expect(gen(point.since.getTime())).toBe(point.generation);
        expect(gen(point.renewAt.getTime() - 1)).toBe(point.generation);
        expect(gen(point.renewAt.getTime())).toBe(point.generation + 1);
        // Boundaries are exactly the anchor, plus the stagger, plus whole periods.
        const offset =
          (point.renewAt.getTime() - anchor.getTime() - staggerHours * H) / (point.periodHours * H);
        expect(Math.abs(offset - Math.round(offset))).toBeLessThan(1e-6);
      }),
    );
  });

  it("is monotonic in the clock and adds each forced rotation once", () => {
    fc.assert(
      fc.property(
        windows,
        instant,
        instant,
        stagger,
        fc.nat(5),
        (w, a, b, staggerHours, forced) => {
          const [t1, t2] = a <= b ? [a, b] : [b, a];
          const g = (now: Date, f: number) =>
            rotationGeneration({ ...w, anchor, now, forced: f, staggerHours }).generation;
          expect(g(t1, 0)).toBeLessThanOrEqual(g(t2, 0));
          expect(g(t1, forced)).toBe(g(t1, 0) + forced);
        },
      ),
    );
  });

  it("keeps no certificate longer than validity - renew-before + the run interval, rotating once per due point", () => {
    // Runs every `interval` hours; each run replaces the certificate when the generation changed, or when
    // the provider's own early-renewal window has begun. The provider must never fire alone.
    fc.assert(
      fc.property(
        windows,
        instant,
        stagger,
        fc.double({ min: 0.1, max: 24 * 14, noNaN: true }),
        fc.integer({ min: 5, max: 60 }),
        (w, start, staggerHours, intervalHours, runs) => {
          const period = (w.validityHours - w.renewBeforeHours) * H;
          const interval = intervalHours * H;
          const gen = (t: number) =>
            rotationGeneration({ ...w, anchor, staggerHours, forced: 0, now: new Date(t) })
              .generation;
          let issued = start.getTime();
          let generation = gen(issued);
          for (let i = 1; i <= runs; i++) {
            const t = start.getTime() + i * interval;
            expect(t - issued).toBeLessThanOrEqual(period + interval);
            const programDue = gen(t) !== generation;
            const providerDue = t >= issued + period;
            if (providerDue) expect(programDue).toBe(true);
            if (programDue) {
              issued = t;
              generation = gen(t);
            }
            // A certificate never expires in service: its age stays under the validity when runs
            // come at least once per renew-before.
            if (interval <= w.renewBeforeHours * H) {
              expect(t - issued).toBeLessThan(w.validityHours * H);
            }
          }
        },
      ),
    );
  });

  it("spreads the services' boundaries: staggers stay inside the period and rarely share a minute", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), {
          minLength: 6,
          maxLength: 6,
        }),
        fc.integer({ min: 24, max: 398 * 24 }),
        (names, periodHours) => {
          const staggers = names.map((n) => serviceStaggerHours(n, periodHours));
          for (const s of staggers) {
            expect(s).toBeGreaterThanOrEqual(0);
            expect(s).toBeLessThan(periodHours);
          }
          expect(new Set(staggers).size).toBeGreaterThanOrEqual(5);
        },
      ),
      { seed: 20261203 },
    );
  });
});

describe("serviceStaggerHours", () => {
  it("gives the reference mesh six different rotation minutes, the same on every run", () => {
    const names = ["gateway", "auth", "boards", "media", "search", "moderation"];
    const staggers = names.map((n) => serviceStaggerHours(n, 335 * 24));
    expect(new Set(staggers).size).toBe(6);
    expect(names.map((n) => serviceStaggerHours(n, 335 * 24))).toEqual(staggers);
    for (const s of staggers) expect(Number.isInteger(s * 60)).toBe(true);
  });
});

describe("hourWindows", () => {
  it("gives the provider the same hours", () => {
    expect(hourWindows("svc", 6, 2)).toEqual({
      validityPeriodHours: 6,
      earlyRenewalHours: 2,
      renewAfterHours: 4,
    });
  });

  it.each([
    [6, 0, "svc: renewBeforeHours must be a whole number of hours >= 1, got 0"],
    [6, 1.5, "svc: renewBeforeHours must be a whole number of hours >= 1, got 1.5"],
    [6, 6, "svc: renewBeforeHours (6) must be shorter than validityHours (6)"],
    [9553, 2, "svc: validityHours 9553 is above the 398-day ceiling; set 9552 or less"],
  ])("refuses validity %s h, renew-before %s h", (validity, renewBefore, message) => {
    expect(() => hourWindows("svc", validity, renewBefore)).toThrow(message);
  });
});

describe("rotationClock", () => {
  const real = new Date("2026-12-03T10:00:00Z");

  it.each([
    [{}, true, real, undefined],
    [{ [AS_OF_VARIABLE]: "" }, true, real, undefined],
    [{ [AS_OF_VARIABLE]: "2027-06-30" }, true, new Date("2027-06-30T00:00:00Z"), "2027-06-30"],
    [
      { [AS_OF_VARIABLE]: "2027-06-30T12:30:00+02:00" },
      true,
      new Date("2027-06-30T10:30:00Z"),
      "2027-06-30T12:30:00+02:00",
    ],
    [{}, false, real, undefined],
  ])("env %j, preview %s: now %s", (env, preview, now, asOf) => {
    expect(rotationClock(env, preview, real)).toEqual(asOf === undefined ? { now } : { now, asOf });
  });

  it.each(["next tuesday", "2027-13-40", "1700000000", "2027/06/30"])(
    "refuses MESH_PKI_AS_OF=%s with a sentence naming the variable",
    (value) => {
      expect(() => rotationClock({ [AS_OF_VARIABLE]: value }, true, real)).toThrow(
        `MESH_PKI_AS_OF=${JSON.stringify(value)} is not an ISO 8601 date; set e.g. MESH_PKI_AS_OF=2026-06-30`,
      );
    },
  );

  it("refuses MESH_PKI_AS_OF for a run that changes resources", () => {
    expect(() => rotationClock({ [AS_OF_VARIABLE]: "2027-06-30" }, false, real)).toThrow(
      "MESH_PKI_AS_OF is set (2027-06-30) for a run that changes resources; it only plans previews, unset it for pulumi up",
    );
  });

  it("parses ISO dates and instants only", () => {
    expect(parseInstant("2026-01-01T00:00:00Z")).toEqual(anchor);
    expect(parseInstant("2026-02-30")).toBeUndefined();
  });
});

describe("caLayout", () => {
  it.each([
    [0, { trusted: [4], signer: 4 }],
    [1, { trusted: [4, 5], signer: 4 }],
    [2, { trusted: [4, 5], signer: 5 }],
    [3, { trusted: [5], signer: 5 }],
  ] as const)("phase %s from generation 4", (phase, layout) => {
    expect(caLayout({ generation: 4, phase })).toEqual(layout);
  });

  it("names generation 0 as before and later ones with a suffix", () => {
    expect([0, 1, 12].map(caSuffix)).toEqual(["", "-g1", "-g12"]);
  });
});

describe("caPhaseProblem", () => {
  const refused = (last: string) =>
    `mesh-pki:rotation.ca.phase: phase 3 would drop CA generation 0 from the trust bundle while it still signs live service certificates (${last}); set phase 2 and run pulumi up first, then phase 3`;

  it.each([
    [
      "phase 1 after phase 0",
      { generation: 0, phase: 1 },
      { generation: 0, phase: 0 },
      true,
      undefined,
    ],
    [
      "phase 3 after phase 2",
      { generation: 0, phase: 3 },
      { generation: 0, phase: 2 },
      true,
      undefined,
    ],
    ["phase 3 again", { generation: 0, phase: 3 }, { generation: 0, phase: 3 }, true, undefined],
    ["phase 3 on a new stack", { generation: 0, phase: 3 }, undefined, false, undefined],
    [
      "phase 3 after phase 1",
      { generation: 0, phase: 3 },
      { generation: 0, phase: 1 },
      true,
      refused("the last applied CA rotation is generation 0, phase 1"),
    ],
    [
      "phase 3 after phase 0",
      { generation: 0, phase: 3 },
      { generation: 0, phase: 0 },
      true,
      refused("the last applied CA rotation is generation 0, phase 0"),
    ],
    [
      "phase 3 of another generation's rotation",
      { generation: 0, phase: 3 },
      { generation: 1, phase: 2 },
      true,
      refused("the last applied CA rotation is generation 1, phase 2"),
    ],
    [
      "phase 3 on a stack deployed without a rotation output",
      { generation: 0, phase: 3 },
      undefined,
      true,
      refused("this stack has no record of a CA rotation"),
    ],
  ] as const)("%s", (_, requested, applied, deployed, problem) => {
    expect(caPhaseProblem(requested, applied, deployed)).toBe(problem);
  });
});
