/**
 * `npm run bench`: the product beside the openssl script it replaces, for meshes of 6 to 500 services, in one
 * run on one machine. For each size: the script (the card's generate-cert.sh once per service), then the
 * product's `up` from empty, `up` and `preview` with no change, `preview` and `up` of a rotation of every
 * service (rotation.forced bumped), and `destroy`, each timed with the peak memory and CPU of the CLI, the
 * program and the providers (procs.mts). Writes results-<backend>.{json,md,png} under the output directory,
 * and with --gate fails when a ratio to the script is more than 50 % above the one recorded.
 *
 * See bench/README.md for the options and how to read the results.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { measure } from "./procs.mts";
import {
  type Baseline,
  f1,
  type BenchResults,
  markdown,
  regressions,
  type SizeResult,
  STEP_LABELS,
  type Step,
  type StepResult,
  STEPS,
} from "./report.mts";
import { plotPng } from "./plot.mts";

const root = path.resolve(import.meta.dirname, "..");
const pulumi = path.join(root, "tools", "pulumi");

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(1);
}

function say(message: string): void {
  console.error(`bench: ${message}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The card's script: beside the checkout (../shared/bench) when there, else the copy in bench/seed. */
function seedScript(): string {
  const shared = path.resolve(root, "..", "shared", "bench", "seed-openssl-baseline.sh");
  return existsSync(shared)
    ? shared
    : path.join(root, "bench", "seed", "bench", "seed-openssl-baseline.sh");
}

async function runScript(services: number, work: string): Promise<SizeResult["script"]> {
  const log = path.join(work, `script-${services}.log`);
  const m = await measure("bash", [seedScript(), String(services)], {
    log,
    timeoutSeconds: 3600,
  });
  const text = await readFile(log, "utf8");
  const verified = new RegExp(`${services}/${services} verify`).test(text);
  if (m.exitCode !== 0 || !verified) {
    fail(`the openssl script failed for ${services} services (see ${log}):\n${text.slice(-2000)}`);
  }
  // The script's own figure excludes its set-up (extracting generate-cert.sh); use it, as its README does.
  const own = /in ([0-9.]+) s/.exec(text);
  const peakMiB = Math.max(...Object.values(m.roles).map((r) => r.peakMiB));
  return { wallSeconds: own ? Number(own[1]) : m.wallSeconds, peakMiB };
}

/** A mesh of `services` services named svc1..svcN, written under `certs` by the files target. */
function meshConfig(services: number, certs: string, forced: number): string {
  const names = Object.fromEntries(Array.from({ length: services }, (_, i) => [`svc${i + 1}`, {}]));
  return [
    "config:",
    `  mesh-pki:services: '${JSON.stringify(names)}'`,
    `  mesh-pki:deploy: '${JSON.stringify({ target: "files", directory: certs })}'`,
    `  mesh-pki:rotation: '${JSON.stringify({ forced })}'`,
    "",
  ].join("\n");
}

interface Stack {
  name: string;
  env: NodeJS.ProcessEnv;
  configFile: string;
  certs: string;
  work: string;
}

async function newStack(services: number, backendUrl: string, skipCheckpoints: boolean) {
  const work = await mkdtemp(path.join(os.tmpdir(), `mesh-pki-bench-${services}-`));
  const name = `bench-${services}-${process.pid}-${path.basename(work).slice(-6).toLowerCase()}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_BACKEND_URL: backendUrl.startsWith("file://") ? `file://${work}/state` : backendUrl,
    PULUMI_CONFIG_PASSPHRASE: "mesh-pki-bench-only",
    PULUMI_SKIP_CHECKPOINTS: skipCheckpoints ? "true" : "false",
  };
  if (backendUrl.startsWith("file://")) await mkdir(path.join(work, "state"));
  // `stack init` writes the stack's salt to Pulumi.<stack>.yaml in the project: move it to the work dir.
  execFileSync(pulumi, ["stack", "init", name, "--secrets-provider", "passphrase"], {
    cwd: root,
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const configFile = path.join(work, `Pulumi.${name}.yaml`);
  await rename(path.join(root, `Pulumi.${name}.yaml`), configFile);
  const stack: Stack = { name, env, configFile, certs: path.join(work, "certs"), work };
  return stack;
}

async function setForced(stack: Stack, services: number, forced: number): Promise<void> {
  const salt = (await readFile(stack.configFile, "utf8"))
    .split("\n")
    .filter((l) => l.startsWith("encryptionsalt:"));
  await writeFile(
    stack.configFile,
    [...salt, meshConfig(services, stack.certs, forced)].join("\n"),
  );
}

async function step(stack: Stack, label: string, args: string[]): Promise<StepResult> {
  const log = path.join(stack.work, `${label}.log`);
  const m = await measure(
    pulumi,
    [...args, "--stack", stack.name, "--config-file", stack.configFile, "--non-interactive"],
    { cwd: root, env: stack.env, log, timeoutSeconds: 3600 },
  );
  if (m.exitCode !== 0) {
    const text = await readFile(log, "utf8");
    fail(`${label} failed with exit code ${m.exitCode} (see ${log}):\n${text.slice(-3000)}`);
  }
  return { wallSeconds: m.wallSeconds, roles: m.roles };
}

async function certificateFiles(certs: string): Promise<string[]> {
  if (!existsSync(path.join(certs, "services"))) return [];
  const files: string[] = [];
  for (const service of await readdir(path.join(certs, "services"))) {
    for (const f of await readdir(path.join(certs, "services", service)))
      files.push(`${service}/${f}`);
  }
  return files;
}

/** Proof that a step did its work, not only that it exited 0. */
async function expectFiles(stack: Stack, services: number, after: string): Promise<void> {
  const files = await certificateFiles(stack.certs);
  if (files.length !== 2 * services) {
    fail(`after ${after}: ${files.length} certificate and key files, expected ${2 * services}`);
  }
}

async function cycle(
  services: number,
  backendUrl: string,
  skipCheckpoints: boolean,
  rotate: boolean,
): Promise<Partial<Record<Step, StepResult>>> {
  const stack = await newStack(services, backendUrl, skipCheckpoints);
  try {
    await setForced(stack, services, 0);
    const up = ["up", "--yes", "--skip-preview", "--suppress-outputs"];
    const upFromEmpty = await step(stack, "up-from-empty", up);
    await expectFiles(stack, services, "up from empty");
    const certFile = path.join(stack.certs, "services", "svc1", "svc1.crt");
    const before = await readFile(certFile, "utf8");
    const upNoChange = await step(stack, "up-no-change", [...up, "--expect-no-changes"]);
    const previewNoChange = await step(stack, "preview-no-change", [
      "preview",
      "--expect-no-changes",
    ]);
    const rotation: Partial<Record<Step, StepResult>> = {};
    if (rotate) {
      await setForced(stack, services, 1);
      rotation.previewRotation = await step(stack, "preview-rotation", ["preview", "--diff=false"]);
      rotation.upRotation = await step(stack, "up-rotation", up);
      await expectFiles(stack, services, "the rotation");
      if ((await readFile(certFile, "utf8")) === before) {
        fail("the rotation left svc1's certificate as it was: rotation.forced did not rotate");
      }
    }
    const destroy = await step(stack, "destroy", ["destroy", "--yes", "--skip-preview"]);
    if ((await certificateFiles(stack.certs)).length !== 0) fail("destroy left certificate files");
    execFileSync(pulumi, ["stack", "rm", "--yes", "--stack", stack.name], {
      cwd: root,
      env: stack.env,
      stdio: "ignore",
    });
    await rm(stack.work, { recursive: true, force: true });
    return { upFromEmpty, upNoChange, previewNoChange, ...rotation, destroy };
  } catch (e) {
    say(`logs kept in ${stack.work}`);
    throw e;
  }
}

function medianStep(runs: (StepResult | undefined)[]): StepResult | undefined {
  const ran = runs.filter((r) => r !== undefined);
  if (ran.length === 0) return undefined;
  return ran.find((r) => r.wallSeconds === median(ran.map((x) => x.wallSeconds)));
}

async function benchSize(
  services: number,
  repeat: number,
  backendUrl: string,
  skipCheckpoints: boolean,
  rotate: boolean,
): Promise<SizeResult> {
  const work = await mkdtemp(path.join(os.tmpdir(), `mesh-pki-bench-script-`));
  const scripts: SizeResult["script"][] = [];
  const cycles: Partial<Record<Step, StepResult>>[] = [];
  for (let i = 0; i < repeat; i++) {
    say(`${services} services, run ${i + 1}/${repeat}: openssl script`);
    scripts.push(await runScript(services, work));
    say(`${services} services, run ${i + 1}/${repeat}: pulumi`);
    cycles.push(await cycle(services, backendUrl, skipCheckpoints, rotate));
  }
  await rm(work, { recursive: true, force: true });
  const scriptSeconds = median(scripts.map((s) => s.wallSeconds));
  const steps: Partial<Record<Step, StepResult>> = {};
  const ratios: Partial<Record<Step, number>> = {};
  for (const s of STEPS) {
    const m = medianStep(cycles.map((c) => c[s]));
    if (!m) continue;
    steps[s] = m;
    ratios[s] = m.wallSeconds / scriptSeconds;
  }
  return {
    services,
    script: { wallSeconds: scriptSeconds, peakMiB: Math.max(...scripts.map((s) => s.peakMiB)) },
    steps,
    ratios,
  };
}

function backendUrlFor(backend: string): string {
  if (backend === "file") return "file://";
  if (backend === "postgres") {
    execFileSync("bash", [path.join(root, "tools", "postgres.sh"), "start"], { stdio: "inherit" });
    return execFileSync("bash", [path.join(root, "tools", "postgres.sh"), "url"], {
      encoding: "utf8",
    }).trim();
  }
  fail(`--backend ${backend} is not a backend; use file or postgres`);
}

/** results-<backend>[-skip-checkpoints].{json,md,png} under `out`: written after every size, so a long run
 * that is stopped keeps what it measured. */
async function writeResults(results: BenchResults, out: string): Promise<string> {
  const tag = `${results.backend}${results.checkpoints === "every step" ? "" : "-skip-checkpoints"}`;
  await mkdir(out, { recursive: true });
  const base = path.join(out, `results-${tag}`);
  await writeFile(`${base}.json`, JSON.stringify(results, null, 2) + "\n");
  await writeFile(`${base}.md`, markdown(results));
  await plotPng(
    [
      ...results.sizes.map((z) => ({
        services: z.services,
        seconds: z.script.wallSeconds,
        step: "openssl script",
      })),
      ...results.sizes.flatMap((z) =>
        STEPS.filter((s) => z.steps[s]).map((s) => ({
          services: z.services,
          seconds: z.steps[s]!.wallSeconds,
          step: STEP_LABELS[s],
        })),
      ),
    ],
    `mesh-pki against the openssl script (${results.backend} backend, checkpoints ${results.checkpoints})`,
    `${base}.png`,
  );
  return base;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string", default: "6,50,200,500" },
      backend: { type: "string", default: "file" },
      repeat: { type: "string", default: "1" },
      out: { type: "string", default: path.join(root, "bench", "results") },
      gate: { type: "string" },
      record: { type: "string" },
      "skip-checkpoints": { type: "boolean", default: false },
      "rotation-up-to": { type: "string" },
    },
  });
  const sizes = values.sizes.split(",").map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 5000)) {
    fail(`--sizes ${values.sizes}: give whole numbers of services from 1 to 5000, e.g. 6,50,200`);
  }
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 9) {
    fail(`--repeat ${values.repeat}: give a whole number from 1 to 9`);
  }
  const rotationUpTo =
    values["rotation-up-to"] === undefined ? undefined : Number(values["rotation-up-to"]);
  if (rotationUpTo !== undefined && !Number.isInteger(rotationUpTo)) {
    fail(`--rotation-up-to ${values["rotation-up-to"]}: give a number of services, e.g. 200`);
  }
  const baseline = values.gate
    ? (JSON.parse(await readFile(values.gate, "utf8")) as Baseline)
    : undefined;

  // Install, build the engine and compile the program before anything is timed.
  execFileSync("bash", [path.join(root, "tools", "install.sh"), "npm"], { stdio: "inherit" });
  execFileSync("bash", [path.join(root, "tools", "toolchain.sh"), "build"], { stdio: "inherit" });
  execFileSync(pulumi, ["version"], { cwd: root, stdio: "ignore" });

  const backendUrl = backendUrlFor(values.backend);
  const results: BenchResults = {
    backend: values.backend,
    checkpoints: values["skip-checkpoints"] ? "skipped (PULUMI_SKIP_CHECKPOINTS)" : "every step",
    repeat,
    machine: {
      cpus: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      date: new Date().toISOString().slice(0, 10),
    },
    sizes: [],
  };
  try {
    for (const n of sizes) {
      const rotate = rotationUpTo === undefined || n <= rotationUpTo;
      results.sizes.push(
        await benchSize(n, repeat, backendUrl, values["skip-checkpoints"], rotate),
      );
      const z = results.sizes[results.sizes.length - 1];
      say(
        `${n} services: script ${f1(z.script.wallSeconds)} s; ` +
          STEPS.filter((s) => z.steps[s])
            .map((s) => `${STEP_LABELS[s]} ${f1(z.steps[s]!.wallSeconds)} s`)
            .join(", "),
      );
      await writeResults(results, values.out);
    }
  } finally {
    if (values.backend === "postgres") {
      execFileSync("bash", [path.join(root, "tools", "postgres.sh"), "stop"], { stdio: "inherit" });
    }
  }

  const base = await writeResults(results, values.out);
  const md = markdown(results);
  console.log(md);
  console.log(`written: ${base}.{json,md,png}`);

  if (values.record) {
    const recorded: Baseline = {
      note: "Ratios of each step's wall time to the openssl script's, recorded by npm run bench -- --record",
      tolerance: 0.5,
      ratios: Object.fromEntries(results.sizes.map((z) => [String(z.services), z.ratios])),
    };
    await writeFile(values.record, JSON.stringify(recorded, null, 2) + "\n");
    console.log(`recorded the ratios in ${values.record}`);
  }
  if (baseline) {
    const problems = regressions(results, baseline);
    if (problems.length > 0) {
      fail(`ratios regressed past ${values.gate}:\n  ${problems.join("\n  ")}`);
    }
    console.log(`no ratio above its recorded value in ${values.gate} by more than 50 %`);
  }
}

await main();
