/**
 * The benchmark's results: their shape, the Markdown table, the growth between sizes and the regression gate
 * against recorded ratios. Pure: run.mts measures, this reports.
 */
import type { Measured, Role } from "./procs.mts";

export const STEPS = [
  "upFromEmpty",
  "upNoChange",
  "previewNoChange",
  "previewRotation",
  "upRotation",
  "destroy",
] as const;
export type Step = (typeof STEPS)[number];

export const STEP_LABELS: Record<Step, string> = {
  upFromEmpty: "up from empty",
  upNoChange: "up, no change",
  previewNoChange: "preview, no change",
  previewRotation: "preview of a rotation",
  upRotation: "up of a rotation",
  destroy: "destroy",
};

export interface StepResult {
  wallSeconds: number;
  roles: Measured["roles"];
}

export interface SizeResult {
  services: number;
  script: { wallSeconds: number; peakMiB: number };
  /** Steps not run at this size (see --rotation-up-to) are absent. */
  steps: Partial<Record<Step, StepResult>>;
  /** Each step's wall time over the script's. */
  ratios: Partial<Record<Step, number>>;
}

export interface BenchResults {
  backend: string;
  checkpoints: "every step" | "skipped (PULUMI_SKIP_CHECKPOINTS)";
  repeat: number;
  machine: { cpus: number; memoryGiB: number; node: string; date: string };
  sizes: SizeResult[];
}

export const f1 = (x: number) => x.toFixed(1);
export const f2 = (x: number) => x.toFixed(2);
const peak = (r: StepResult, role: Role) => Math.round(r.roles[role].peakMiB);

/** How a step's time grows between the smallest and largest size above 6: the exponent of n^k. */
export function growth(results: SizeResult[], s: Step): string | undefined {
  const sized = results.filter((r) => r.services >= 50).sort((a, b) => a.services - b.services);
  if (sized.length < 2) return undefined;
  const [a, b] = [sized[0], sized[sized.length - 1]];
  const [ta, tb] = [a.steps[s]?.wallSeconds, b.steps[s]?.wallSeconds];
  if (ta === undefined || tb === undefined) return undefined;
  const k = Math.log(tb / ta) / Math.log(b.services / a.services);
  const shape = k < 1.2 ? "linear" : k < 1.8 ? "between linear and quadratic" : "quadratic";
  return `${a.services}→${b.services} services: ×${f1(tb / ta)} (n^${f2(k)}, ${shape})`;
}

export function markdown(r: BenchResults): string {
  const lines = [
    `# mesh-pki benchmark: ${r.backend} backend, checkpoints ${r.checkpoints}`,
    "",
    `Measured ${r.machine.date} on ${r.machine.cpus} CPUs, ${r.machine.memoryGiB} GiB, Node.js ${r.machine.node};` +
      ` median of ${r.repeat} run(s). Seconds of wall time; in brackets, the ratio to the openssl script.` +
      " Peak memory is the largest resident set of one process of that role (MiB).",
    "",
    "| services | openssl script | " + STEPS.map((s) => STEP_LABELS[s]).join(" | ") + " |",
    "| ---: | ---: | " + STEPS.map(() => "---:").join(" | ") + " |",
    ...r.sizes.map(
      (z) =>
        `| ${z.services} | ${f1(z.script.wallSeconds)} | ` +
        STEPS.map((s) => {
          const [t, ratio] = [z.steps[s]?.wallSeconds, z.ratios[s]];
          return t === undefined || ratio === undefined ? "not run" : `${f1(t)} (${f2(ratio)}×)`;
        }).join(" | ") +
        " |",
    ),
    "",
    "Peak memory (MiB) and CPU (s) of the CLI, the program and the providers:",
    "",
    "| services | step | CLI MiB | program MiB | providers MiB | CLI CPU | program CPU | providers CPU |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...r.sizes.flatMap((z) =>
      STEPS.flatMap((s) => {
        const m = z.steps[s];
        if (!m) return [];
        return [
          `| ${z.services} | ${STEP_LABELS[s]} | ${peak(m, "cli")} | ${peak(m, "program")} | ` +
            `${peak(m, "providers")} | ${f1(m.roles.cli.cpuSeconds)} | ` +
            `${f1(m.roles.program.cpuSeconds)} | ${f1(m.roles.providers.cpuSeconds)} |`,
        ];
      }),
    ),
    "",
  ];
  const grown = STEPS.map((s) => [s, growth(r.sizes, s)] as const).filter(([, g]) => g);
  if (grown.length > 0) {
    lines.push("Growth:", "", ...grown.map(([s, g]) => `- ${STEP_LABELS[s]}: ${g}`), "");
  }
  return lines.join("\n");
}

export interface Baseline {
  note: string;
  tolerance: number;
  ratios: Record<string, Partial<Record<Step, number>>>;
}

/** Every ratio more than `tolerance` above its recorded value, as a sentence each. */
export function regressions(results: BenchResults, baseline: Baseline): string[] {
  const problems: string[] = [];
  for (const size of results.sizes) {
    const recorded = baseline.ratios[String(size.services)];
    if (!recorded) continue;
    for (const s of STEPS) {
      const was = recorded[s];
      const now = size.ratios[s];
      if (was === undefined || now === undefined) continue;
      const limit = was * (1 + baseline.tolerance);
      if (now > limit) {
        problems.push(
          `${size.services} services, ${STEP_LABELS[s]}: ${f2(now)}× the openssl script, ` +
            `recorded ${f2(was)}×, limit ${f2(limit)}× (+${Math.round(baseline.tolerance * 100)} %)`,
        );
      }
    }
  }
  return problems;
}
