/**
 * The shared state backend a team uses, PostgreSQL, through the real engine: two `pulumi up`s of one stack
 * are refused by the stack's lock instead of merged, and an up killed half-way leaves a state the next up
 * continues from. The mesh program runs with 20 services and no deploy target, so an up takes long enough
 * (about 15 s here) for a second one to meet its lock.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineSession, repoRoot, TestStack, timeouts } from "../support/engine";
import { lockKeys, stateRows } from "../support/postgres";

const SERVICES = Object.fromEntries(
  Array.from({ length: 20 }, (_, i) => [`svc${String(i + 1).padStart(2, "0")}`, {}]),
);
const CONFIG = {
  "mesh-pki:deploy": JSON.stringify({ target: "none" }),
  "mesh-pki:services": JSON.stringify(SERVICES),
};

/** What the diy backend says when a stack's lock is held (backend/diy/lock.go). */
const LOCK_ERROR =
  /error: the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`\./;

let session: EngineSession;

beforeAll(async () => {
  session = await EngineSession.start("lock", { backend: "postgres" });
});

afterAll(async () => {
  await session?.cleanup();
});

function server(): { serverUrl: string; table: string; password: string } {
  if (session.backend.kind !== "postgres") throw new Error("this suite needs the postgres backend");
  const { serverUrl, table } = session.backend;
  return { serverUrl, table, password: decodeURIComponent(new URL(serverUrl).password) };
}

interface CliOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

interface CliRun {
  readonly pid: number;
  readonly done: Promise<CliOutcome>;
  readonly settled: () => boolean;
}

/**
 * The CLI itself (not the Automation API), in a process group of its own so that a kill reaches the
 * language host and the plugins too; killed when it outlives the operation bound.
 */
function startCli(args: string[]): CliRun {
  const env: Record<string, string | undefined> = { ...process.env, ...session.env };
  // Every completed step must be written for the kill test to mean anything.
  delete env.PULUMI_SKIP_CHECKPOINTS;
  const child = spawn(path.join(session.environment.binDir, "pulumi"), args, {
    cwd: repoRoot,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let settled = false;
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const timer = setTimeout(() => killGroup(child.pid!), timeouts.operation);
  const done = new Promise<CliOutcome>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      settled = true;
      resolve({ code, signal, output });
    });
  });
  return { pid: child.pid!, done, settled: () => settled };
}

function killGroup(pid: number) {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

const upArgs = (stack: TestStack) => [
  "up",
  "--yes",
  "--skip-preview",
  "--non-interactive",
  "--stack",
  stack.stack.name,
];

/** Polls `probe` every `intervalMs` until it returns a value, at most `limitMs`. */
async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  limitMs: number,
  intervalMs = 100,
): Promise<T> {
  const tries = Math.ceil(limitMs / intervalMs);
  for (let i = 0; i < tries; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${what}: not within ${limitMs} ms`);
}

const isProductResource = (type: string) =>
  type !== "pulumi:pulumi:Stack" && !type.startsWith("pulumi:providers:");

/** The URNs a first up of `stack` creates, from a preview. */
async function plannedUrns(stack: TestStack): Promise<string[]> {
  const preview = await stack.preview();
  expect(preview.steps.every((s) => s.op === "create")).toBe(true);
  return preview.steps.map((s) => s.urn).sort();
}

async function stateUrns(stack: TestStack): Promise<string[]> {
  return (await stack.resources()).map((r) => String(r.urn)).sort();
}

/** The stack's checkpoint as the backend keeps it in PostgreSQL, read with psql. */
async function checkpointInPostgres(stack: TestStack) {
  const { serverUrl, table } = server();
  const rows = await stateRows(serverUrl, table);
  const suffix = `/.pulumi/stacks/mesh-pki/${stack.stack.name}.json`;
  const row = rows.find((r) => r.key.endsWith(suffix));
  if (!row) return undefined;
  const checkpoint = JSON.parse(row.text) as {
    checkpoint: {
      latest?: {
        resources?: Array<{ urn: string; type: string }>;
        pending_operations?: Array<{ resource: { urn: string }; type: string }>;
      };
    };
  };
  const latest = checkpoint.checkpoint.latest ?? {};
  return {
    text: row.text,
    urns: (latest.resources ?? [])
      .filter((r) => isProductResource(r.type))
      .map((r) => r.urn)
      .sort(),
    pending: (latest.pending_operations ?? []).map((p) => p.resource.urn),
  };
}

/** The lock rows of the session's table, with the content the CLI wrote (pid, user, host, time). */
async function locks(): Promise<Array<{ key: string; pid: number }>> {
  const { serverUrl, table } = server();
  const keys = await lockKeys(serverUrl, table);
  if (keys.length === 0) return [];
  const rows = await stateRows(serverUrl, table);
  return keys.map((key) => ({
    key,
    pid: (JSON.parse(rows.find((r) => r.key === key)!.text) as { pid: number }).pid,
  }));
}

describe("two ups of one stack on the PostgreSQL backend", () => {
  it("refuses an up while another holds the stack's lock, and records one complete up", async () => {
    const stack = await session.projectStack({ stackName: "e2e-lock", config: CONFIG });
    const planned = await plannedUrns(stack);
    expect(planned.length).toBeGreaterThan(60);

    const began = Date.now();
    const first = startCli(upArgs(stack));
    const held = await waitFor(
      "the first up's lock in PostgreSQL",
      async () => {
        if (first.settled())
          throw new Error(`the first up ended early:\n${(await first.done).output}`);
        const found = await locks();
        return found.length > 0 ? found : undefined;
      },
      60_000,
    );
    expect(held).toEqual([{ key: expect.stringContaining("/.pulumi/locks/"), pid: first.pid }]);

    const second = await startCli(upArgs(stack)).done;
    expect(first.settled()).toBe(false);
    expect(second.code).not.toBe(0);
    expect(second.output).toMatch(LOCK_ERROR);
    expect(second.output).toContain(`created by`);
    expect(second.output).toContain(`(pid ${first.pid})`);
    // The lock's address is shown with the credentials masked.
    expect(second.output).toContain("postgres://****:****@127.0.0.1:");
    expect(second.output).not.toContain(server().password);
    expect(second.output).not.toMatch(/Updating \(|created \(/);

    const firstOutcome = await first.done;
    expect(firstOutcome.code, firstOutcome.output).toBe(0);
    console.info(`lock test: first up ${Date.now() - began} ms, ${planned.length} resources`);

    // One complete up: every planned resource once, nothing from the refused run, no lock left.
    const urns = await stateUrns(stack);
    expect(new Set(urns).size).toBe(urns.length);
    expect(urns).toEqual(planned);
    expect(await locks()).toEqual([]);

    // The state is in PostgreSQL, not in a file: the table's checkpoint holds the same resources.
    const stored = await checkpointInPostgres(stack);
    expect(stored?.urns).toEqual(planned);
    expect(stored?.pending).toEqual([]);
    expect(stored?.text).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);

    const again = await stack.up();
    expect(again.summary.resourceChanges).toEqual({ same: planned.length + 1 });
  });

  it("admits at most one of two ups started at the same instant, and never merges them", async () => {
    const stack = await session.projectStack({ stackName: "e2e-lock-race", config: CONFIG });
    const planned = await plannedUrns(stack);

    const outcomes = await Promise.all(
      [startCli(upArgs(stack)), startCli(upArgs(stack))].map((r) => r.done),
    );
    const admitted = outcomes.filter((o) => o.code === 0);
    const refused = outcomes.filter((o) => o.code !== 0);
    // The diy lock writes, then checks for another lock: two writers can both back off, never both pass.
    expect(admitted.length).toBeLessThanOrEqual(1);
    for (const outcome of refused) expect(outcome.output).toMatch(LOCK_ERROR);
    console.info(`lock race: ${admitted.length} of 2 simultaneous ups admitted`);

    expect(await stateUrns(stack)).toEqual(admitted.length === 1 ? planned : []);
    expect(await locks()).toEqual([]);

    await stack.up();
    const again = await stack.up();
    expect(again.summary.resourceChanges).toEqual({ same: planned.length + 1 });
    expect(await stateUrns(stack)).toEqual(planned);
  });
});

describe("an up killed half-way on the PostgreSQL backend", () => {
  it("leaves every completed step recorded; the next up creates only the rest", async () => {
    const stack = await session.projectStack({ stackName: "e2e-kill", config: CONFIG });
    const planned = await plannedUrns(stack);

    const run = startCli(upArgs(stack));
    const seen = await waitFor(
      "20 resources recorded in PostgreSQL",
      async () => {
        if (run.settled())
          throw new Error(`the up ended before the kill:\n${(await run.done).output}`);
        const stored = await checkpointInPostgres(stack);
        return stored && stored.urns.length >= 20 ? stored.urns : undefined;
      },
      120_000,
      200,
    );
    killGroup(run.pid);
    const killed = await run.done;
    expect(killed.signal).toBe("SIGKILL");
    await waitFor(
      "the killed up's processes to end",
      async () => !groupAlive(run.pid) || undefined,
      10_000,
    );

    // What was recorded before the kill is still there, each resource once and complete; the steps in
    // flight are pending operations, not resources.
    const state = await stack.exportState();
    const resources = (state.deployment?.resources ?? []) as Array<Record<string, unknown>>;
    const recorded = resources.filter((r) => isProductResource(String(r.type)));
    const recordedUrns = recorded.map((r) => String(r.urn)).sort();
    expect(recordedUrns).toEqual(expect.arrayContaining(seen));
    expect(new Set(recordedUrns).size).toBe(recordedUrns.length);
    expect(recordedUrns.every((urn) => planned.includes(urn))).toBe(true);
    expect(recordedUrns.length).toBeLessThan(planned.length);
    for (const r of recorded.filter((r) => r.custom)) {
      expect(r.id, String(r.urn)).toBeTruthy();
      expect(Object.keys((r.outputs as object) ?? {}).length, String(r.urn)).toBeGreaterThan(0);
    }
    const pending = (
      (state.deployment?.pending_operations ?? []) as Array<{ resource: { urn: string } }>
    ).map((p) => p.resource.urn);
    expect(pending.every((urn) => !recordedUrns.includes(urn))).toBe(true);
    console.info(
      `kill test: ${recordedUrns.length} of ${planned.length} resources recorded, ${pending.length} pending`,
    );

    // The dead run's lock stays until `pulumi cancel` removes it.
    expect((await locks()).map((l) => l.pid)).toEqual([run.pid]);
    const refused = await startCli(upArgs(stack)).done;
    expect(refused.output).toMatch(LOCK_ERROR);
    expect(refused.output).toContain(`(pid ${run.pid})`);
    const cancel = await startCli(["cancel", "--yes", "--stack", stack.stack.name]).done;
    expect(cancel.code, cancel.output).toBe(0);
    expect(await locks()).toEqual([]);

    // The next up continues from the record: it creates only what was not recorded.
    const resumed = await stack.up();
    if (pending.length > 0) {
      expect(resumed.stdout).toContain(
        `Attempting to deploy or update resources with ${pending.length} pending operations`,
      );
    }
    expect(resumed.summary.resourceChanges?.create).toBe(planned.length - recordedUrns.length);
    expect(await stateUrns(stack)).toEqual(planned);
    const again = await stack.up();
    expect(again.summary.resourceChanges).toEqual({ same: planned.length + 1 });
  });
});
