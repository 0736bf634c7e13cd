/**
 * Runs a command and measures it: wall time, and for each role in its process tree (the Pulumi CLI, the
 * program, the providers, anything else) the CPU time and the peak resident memory. Linux only: the tree is
 * read from /proc every 50 ms, and a process's peak is its VmHWM (the kernel's high-water mark), so a peak
 * between two samples is not missed; only a process that lives less than one interval can be.
 */
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readdir, readFile } from "node:fs/promises";

export type Role = "cli" | "program" | "providers" | "other";

export interface RoleUsage {
  /** Largest VmHWM of one process of this role, MiB. */
  peakMiB: number;
  /** utime + stime of this role's processes, summed, seconds. */
  cpuSeconds: number;
}

export interface Measured {
  exitCode: number;
  wallSeconds: number;
  roles: Record<Role, RoleUsage>;
}

const INTERVAL_MS = 50;
const CLOCK_TICKS = 100; // USER_HZ: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK))

/** What a process is, from its command line. */
export function roleOf(argv: string[]): Role {
  const exe = argv[0]?.split("/").pop() ?? "";
  if (exe === "pulumi") return "cli";
  const line = argv.join(" ");
  if (line.includes("@pulumi/pulumi/cmd/run")) return "program";
  if (/pulumi-resource-|pulumi-language-|cmd\/dynamic-provider|tools\/providers\//.test(line)) {
    return "providers";
  }
  return "other";
}

interface Seen {
  role: Role;
  peakKiB: number;
  cpuTicks: number;
}

async function readProcess(pid: number): Promise<{ ppid: number; seen?: Seen } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may hold spaces: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ppid = Number(fields[1]);
    const cpuTicks = Number(fields[11]) + Number(fields[12]);
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
    const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter(Boolean);
    const seen = hwm ? { role: roleOf(argv), peakKiB: Number(hwm[1]), cpuTicks } : undefined;
    return { ppid, seen };
  } catch {
    return undefined; // gone between listing and reading
  }
}

async function tree(root: number): Promise<Map<number, Seen>> {
  const parents = new Map<number, number>();
  const found = new Map<number, Seen>();
  const pids = (await readdir("/proc")).filter((d) => /^\d+$/.test(d)).map(Number);
  for (const pid of pids) {
    const p = await readProcess(pid);
    if (!p) continue;
    parents.set(pid, p.ppid);
    if (p.seen) found.set(pid, p.seen);
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && hops < 64; hops++) {
      if (p === root) return true;
      p = parents.get(p);
    }
    return false;
  };
  return new Map([...found].filter(([pid]) => inTree(pid)));
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** File that gets the command's stdout and stderr. */
  log: string;
  /** Killed (and reported as failed) after this long. */
  timeoutSeconds: number;
}

/** Runs `command args` and measures it (see the module comment). */
export async function measure(
  command: string,
  args: string[],
  options: RunOptions,
): Promise<Measured> {
  const out = createWriteStream(options.log, { flags: "a" });
  const started = process.hrtime.bigint();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  const seen = new Map<number, Seen>();
  let done = false;
  const exited = new Promise<number>((resolve) => {
    child.on("exit", (code, signal) => {
      done = true;
      resolve(code ?? (signal ? 128 : 1));
    });
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutSeconds * 1000);
  while (!done && child.pid !== undefined) {
    for (const [pid, s] of await tree(child.pid)) seen.set(pid, s);
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
  }
  const exitCode = await exited;
  clearTimeout(timer);
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  await new Promise((r) => out.end(r));
  const roles = Object.fromEntries(
    (["cli", "program", "providers", "other"] as const).map((role) => {
      const of = [...seen.values()].filter((s) => s.role === role);
      return [
        role,
        {
          peakMiB: Math.max(0, ...of.map((s) => s.peakKiB)) / 1024,
          cpuSeconds: of.reduce((sum, s) => sum + s.cpuTicks, 0) / CLOCK_TICKS,
        },
      ];
    }),
  ) as Record<Role, RoleUsage>;
  return { exitCode, wallSeconds, roles };
}
