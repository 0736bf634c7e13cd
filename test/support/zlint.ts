/**
 * zlint (github.com/zmap/zlint) on certificates made by the real engine. The binary comes from
 * tools/zlint.sh, which builds it from the Go module proxy at the pinned version once per cache.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./engine";
import { PemDir } from "./pem";

const run = promisify(execFile);

/** The lint sources of the RFCs a mesh certificate must satisfy. */
export const RFC_SOURCES = ["RFC5280", "RFC5480"] as const;

/** Results zlint reports as a problem; `pass`, `NA` (not applicable), `NE` (not effective) and `info` are not. */
export const PROBLEM_RESULTS = ["warn", "error", "fatal"] as const;

export interface LintFinding {
  lint: string;
  result: string;
  details?: string;
}

export interface LintReport {
  /** Every lint that ran, with its result. */
  results: Record<string, { result: string; details?: string }>;
  /** The lints whose result is warn, error or fatal. */
  problems: LintFinding[];
}

let binary: Promise<{ path: string; version: string }> | undefined;

/** The zlint binary and its version; the first call may build it (bounded to 10 minutes). */
export function zlintBinary(): Promise<{ path: string; version: string }> {
  binary ??= (async () => {
    const env = {
      ...process.env,
      PATH: `${path.join(repoRoot, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
    };
    const built = await run(path.join(repoRoot, "tools/zlint.sh"), [], {
      cwd: repoRoot,
      env,
      timeout: 600_000,
    });
    const bin = built.stdout.trim();
    const version = await run(bin, ["-version"], { timeout: 10_000 });
    return { path: bin, version: version.stdout.trim().replace(/^ZLint version /, "") };
  })();
  return binary;
}

/**
 * The names of the certificate lints zlint has for the given sources (its CRL lints, `e_crl_*`, run on
 * CRLs only).
 */
export async function lintNames(sources: readonly string[]): Promise<string[]> {
  const { path: bin } = await zlintBinary();
  const { stdout } = await run(bin, ["-list-lints-json"], {
    timeout: 30_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { name: string; source: string })
    .filter((l) => sources.includes(l.source) && !/^[a-z]+_crl_/.test(l.name))
    .map((l) => l.name);
}

/** Lints one PEM certificate with the lints of `sources`. */
export async function zlint(
  pems: PemDir,
  name: string,
  pem: string,
  sources: readonly string[] = RFC_SOURCES,
): Promise<LintReport> {
  const { path: bin } = await zlintBinary();
  const file = await pems.write(`${name}.zlint.pem`, pem);
  const { stdout } = await run(bin, ["-includeSources", sources.join(","), file], {
    timeout: 30_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const results = JSON.parse(stdout) as LintReport["results"];
  const problems = Object.entries(results)
    .filter(([, r]) => (PROBLEM_RESULTS as readonly string[]).includes(r.result))
    .map(([lint, r]) => ({ lint, result: r.result, details: r.details }));
  return { results, problems };
}
