/**
 * The benchmark's report: the regression gate against recorded ratios, the growth it states between
 * sizes, the Markdown table, and how the sampler names a process.
 */
import { describe, expect, it } from "vitest";
import { roleOf } from "../procs.mts";
import {
  type BenchResults,
  growth,
  markdown,
  regressions,
  type SizeResult,
  type Step,
  STEPS,
} from "../report.mts";

const roles = {
  cli: { peakMiB: 300, cpuSeconds: 5 },
  program: { peakMiB: 400, cpuSeconds: 8 },
  providers: { peakMiB: 100, cpuSeconds: 2 },
  other: { peakMiB: 0, cpuSeconds: 0 },
};

function size(services: number, scriptSeconds: number, seconds: (s: Step) => number): SizeResult {
  const steps = Object.fromEntries(STEPS.map((s) => [s, { wallSeconds: seconds(s), roles }]));
  const ratios = Object.fromEntries(STEPS.map((s) => [s, seconds(s) / scriptSeconds]));
  return {
    services,
    script: { wallSeconds: scriptSeconds, peakMiB: 10 },
    steps: steps as SizeResult["steps"],
    ratios: ratios as SizeResult["ratios"],
  };
}

const results = (sizes: SizeResult[]): BenchResults => ({
  backend: "file",
  checkpoints: "every step",
  repeat: 1,
  machine: { cpus: 2, memoryGiB: 24, node: "v22", date: "2026-12-03" },
  sizes,
});

describe("regressions", () => {
  const baseline = { note: "", tolerance: 0.5, ratios: { "50": { upFromEmpty: 2, destroy: 1 } } };

  it("passes a ratio up to 50 % above the recorded one", () => {
    const r = results([size(50, 10, (s) => (s === "upFromEmpty" ? 29.9 : 14.9))]);
    expect(regressions(r, baseline)).toEqual([]);
  });

  it("names the size, the step, the ratio and the limit of each regression", () => {
    const r = results([size(50, 10, (s) => (s === "upFromEmpty" ? 30.5 : 10))]);
    expect(regressions(r, baseline)).toEqual([
      "50 services, up from empty: 3.05× the openssl script, recorded 2.00×, limit 3.00× (+50 %)",
    ]);
  });

  it("ignores sizes and steps without a recorded ratio", () => {
    const r = results([size(6, 1, () => 100), size(50, 10, () => 10)]);
    expect(regressions(r, baseline)).toEqual([]);
  });
});

describe("growth", () => {
  it("calls time proportional to n linear and to n² quadratic, from 50 up", () => {
    const linear = [size(6, 1, () => 1), size(50, 1, () => 5), size(500, 1, () => 50)];
    const square = [size(50, 1, () => 1), size(500, 1, () => 100)];
    expect(growth(linear, "upFromEmpty")).toBe("50→500 services: ×10.0 (n^1.00, linear)");
    expect(growth(square, "upFromEmpty")).toBe("50→500 services: ×100.0 (n^2.00, quadratic)");
  });

  it("states nothing with fewer than two sizes of 50 or more", () => {
    expect(growth([size(6, 1, () => 1), size(50, 1, () => 5)], "destroy")).toBeUndefined();
  });
});

describe("markdown", () => {
  it("has a row per size with each step's seconds and ratio, and the memory table", () => {
    const md = markdown(results([size(50, 4, () => 8)]));
    expect(md).toContain("| 50 | 4.0 | 8.0 (2.00×) | 8.0 (2.00×) |");
    expect(md).toContain("| 50 | up from empty | 300 | 400 | 100 | 5.0 | 8.0 | 2.0 |");
  });
});

describe("a size where the rotation steps were not run (--rotation-up-to)", () => {
  const withoutRotation = (z: SizeResult): SizeResult => {
    const steps = { ...z.steps };
    const ratios = { ...z.ratios };
    for (const s of ["previewRotation", "upRotation"] as const) {
      delete steps[s];
      delete ratios[s];
    }
    return { ...z, steps, ratios };
  };

  it("says so in the table, states no growth for them, and gates only what ran", () => {
    const sizes = [size(50, 1, () => 5), withoutRotation(size(500, 1, () => 50))];
    expect(markdown(results(sizes))).toContain(
      "| 500 | 1.0 | 50.0 (50.00×) | 50.0 (50.00×) | 50.0 (50.00×) | not run | not run | 50.0 (50.00×) |",
    );
    expect(growth(sizes, "upRotation")).toBeUndefined();
    expect(growth(sizes, "destroy")).toBe("50→500 services: ×10.0 (n^1.00, linear)");
    const baseline = {
      note: "",
      tolerance: 0.5,
      ratios: { "500": { upRotation: 1, destroy: 100 } },
    };
    expect(regressions(results(sizes), baseline)).toEqual([]);
  });
});

describe("roleOf", () => {
  it("tells the CLI, the program and the providers apart", () => {
    expect(roleOf(["/cache/bin/pulumi", "up"])).toBe("cli");
    expect(roleOf(["node", "/p/node_modules/@pulumi/pulumi/cmd/run/index.js", "--monitor"])).toBe(
      "program",
    );
    expect(roleOf(["node", "/p/dist/tools/providers/tls/main.js"])).toBe("providers");
    expect(roleOf(["node", "/p/node_modules/@pulumi/pulumi/cmd/dynamic-provider"])).toBe(
      "providers",
    );
    expect(roleOf(["/bin/libexec/pulumi-language-nodejs", "-typescript=false"])).toBe("providers");
    expect(roleOf(["openssl", "req"])).toBe("other");
  });
});
