// Real-engine tests through the Automation API, shared by every end-to-end and conformance suite.
//
// One EngineSession per test file: it owns a temporary backend and temporary project directories, and its
// cleanup() destroys every stack it made and removes them. The backend is a file backend in a temporary
// directory, or with `{ backend: "postgres" }` (or MESH_PKI_TEST_BACKEND=postgres) a table of its own on a
// PostgreSQL server (test/support/postgres.ts), dropped by cleanup(). The engine is the one tools/toolchain.sh
// finds or builds; plugins come from dist/plugins (the stand-ins and shims tools/pulumi writes), so the
// tls provider is the mesh-pki stand-in unless an official plugin is installed or MESH_PKI_TLS_PLUGIN names
// an executable `pulumi-resource-tls` to use instead. Every wait is bounded.
//
//   const session = await EngineSession.start("mesh");
//   const stack = await session.projectStack({ stackName: "e2e", config: { "mesh-pki:x": "1" } });
//   await stack.up();
//   const outputs = await stack.outputs();
//   await session.cleanup();

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import {
  ConfigMap,
  Deployment,
  EngineEvent,
  LocalWorkspace,
  OutputMap,
  PulumiCommand,
  Stack,
} from "@pulumi/pulumi/automation";
import { acquirePostgres, backendUrl, dropTable, releasePostgres, tableName } from "./postgres";

const run = promisify(execFile);

/** The repository root. */
export const repoRoot = path.resolve(__dirname, "../..");

/** A development passphrase for throwaway test stacks; never used for a real stack. */
export const testPassphrase = "mesh-pki-test-passphrase";

const minute = 60_000;

/** Bounds, in milliseconds. A cold engine build takes minutes; a warm one seconds. */
export const timeouts = {
  /** tools/toolchain.sh bin-dir, which may build the engine from the Go module proxy. */
  toolchain: 30 * minute,
  /** tools/pulumi version: compiles the project and writes the plugin shims. */
  prepare: 5 * minute,
  /** One up, preview, refresh or destroy. */
  operation: 10 * minute,
};

export interface EngineEnvironment {
  /** Environment for every pulumi command: PATH, backend-independent settings, passphrase. */
  readonly env: Record<string, string>;
  /** The directory holding pulumi and its language host. */
  readonly binDir: string;
  /** The `pulumi-resource-tls` the engine will run: the stand-in shim or MESH_PKI_TLS_PLUGIN. */
  readonly tlsPlugin: string;
  /** Whether tlsPlugin is the mesh-pki stand-in. */
  readonly tlsIsStandIn: boolean;
}

let environment: Promise<EngineEnvironment> | undefined;

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fs.constants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

async function computeEnvironment(): Promise<EngineEnvironment> {
  const nodeBin = path.join(repoRoot, "node_modules/.bin");
  const basePath = `${nodeBin}:${process.env.PATH ?? ""}`;
  const toolEnv = { ...process.env, PATH: basePath };

  const toolchain = await run(path.join(repoRoot, "tools/toolchain.sh"), ["bin-dir"], {
    cwd: repoRoot,
    env: toolEnv,
    timeout: timeouts.toolchain,
  });
  const binDir = toolchain.stdout.trim().split("\n").at(-1)!;

  // tools/pulumi compiles the project into dist/ (the stand-in providers included) and writes the
  // plugin shims into dist/plugins; `version` does that and touches no stack.
  await run(path.join(repoRoot, "tools/pulumi"), ["version"], {
    cwd: repoRoot,
    env: { ...toolEnv, PULUMI_SKIP_UPDATE_CHECK: "true" },
    timeout: timeouts.prepare,
  });
  const shims = path.join(repoRoot, "dist/plugins");

  const pathEntries = [nodeBin, binDir, shims];
  let tlsPlugin = path.join(shims, "pulumi-resource-tls");
  let tlsIsStandIn = true;
  const override = process.env.MESH_PKI_TLS_PLUGIN;
  if (override) {
    const plugin = path.resolve(override);
    if (!(await isExecutable(plugin))) {
      throw new Error(`MESH_PKI_TLS_PLUGIN=${override} is not an executable file`);
    }
    // The engine looks the plugin up by its name on PATH, so give it that name in a directory of its own
    // that comes before the stand-in's: one per plugin path, reused, so nothing accumulates.
    const key = createHash("sha1").update(plugin).digest("hex").slice(0, 12);
    const dir = path.join(os.tmpdir(), `mesh-pki-tls-plugin-${key}`);
    await fs.mkdir(dir, { recursive: true });
    await fs.rm(path.join(dir, "pulumi-resource-tls"), { force: true });
    await fs.symlink(plugin, path.join(dir, "pulumi-resource-tls"));
    pathEntries.splice(2, 0, dir);
    tlsPlugin = plugin;
    tlsIsStandIn = false;
  } else if (!(await isExecutable(tlsPlugin))) {
    // tools/pulumi writes no shim when an official plugin is installed; the engine then uses that one.
    tlsPlugin = "official plugin from the Pulumi plugin cache";
    tlsIsStandIn = false;
  }

  return {
    env: {
      PATH: [...pathEntries, process.env.PATH ?? ""].join(":"),
      PULUMI_CONFIG_PASSPHRASE: testPassphrase,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    },
    binDir,
    tlsPlugin,
    tlsIsStandIn,
  };
}

/** The engine environment, computed once per process (the first call may build the engine). */
export function engineEnvironment(): Promise<EngineEnvironment> {
  environment ??= computeEnvironment();
  return environment;
}

/** What one resource would do in a preview, from the engine's events. */
export interface PlannedStep {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** The engine's operation: same, create, update, replace, create-replacement, delete-replaced, ... */
  readonly op: string;
  /** Properties that force the replacement, as the provider reported them. */
  readonly replaceKeys: readonly string[];
  /** Properties that differ. */
  readonly diffs: readonly string[];
}

export interface PreviewOutcome {
  readonly changeSummary: Record<string, number>;
  readonly steps: readonly PlannedStep[];
  readonly stdout: string;
}

function stepsFrom(events: EngineEvent[]): PlannedStep[] {
  const steps: PlannedStep[] = [];
  for (const event of events) {
    const meta = event.resourcePreEvent?.metadata;
    if (!meta || meta.type === "pulumi:pulumi:Stack" || meta.type.startsWith("pulumi:providers:")) {
      continue;
    }
    steps.push({
      urn: meta.urn,
      type: meta.type,
      name: meta.urn.split("::").at(-1)!,
      op: meta.op,
      replaceKeys: meta.keys ?? [],
      diffs: meta.diffs ?? [],
    });
  }
  return steps;
}

/** A stack under test, with bounded operations. */
export class TestStack {
  constructor(
    readonly stack: Stack,
    /** The project directory the stack runs from. */
    readonly workDir: string,
    /** Environment and CLI for commands the Automation API does not offer as wanted. */
    private readonly cli: { readonly pulumi: string; readonly env: Record<string, string> },
    /** The stack's config file as it was before the test, restored by cleanup; null if there was none. */
    readonly originalConfigFile: string | null = null,
  ) {}

  get configFile(): string {
    return path.join(this.workDir, `Pulumi.${this.stack.name}.yaml`);
  }

  /** Sets config values (keys as `project:key` or `key`); secret ones are stored encrypted. */
  async setConfig(values: Record<string, string>, options: { secret?: boolean } = {}) {
    const map: ConfigMap = {};
    for (const [key, value] of Object.entries(values)) map[key] = { value, secret: options.secret };
    await this.stack.setAllConfig(map);
  }

  async removeConfig(...keys: string[]) {
    await this.stack.removeAllConfig(keys);
  }

  /** Replaces the program of a temporary project (see EngineSession.tempProjectStack). */
  async writeProgram(source: string) {
    await fs.writeFile(path.join(this.workDir, "index.js"), source);
  }

  async up() {
    let stdout = "";
    const result = await this.stack.up({
      onOutput: (out) => (stdout += out),
      signal: AbortSignal.timeout(timeouts.operation),
    });
    return { ...result, stdout };
  }

  async preview(): Promise<PreviewOutcome> {
    const events: EngineEvent[] = [];
    let stdout = "";
    const result = await this.stack.preview({
      onEvent: (e) => events.push(e),
      onOutput: (out) => (stdout += out),
      diff: true,
      signal: AbortSignal.timeout(timeouts.operation),
    });
    return { changeSummary: result.changeSummary, steps: stepsFrom(events), stdout };
  }

  async refresh() {
    return this.stack.refresh({ signal: AbortSignal.timeout(timeouts.operation) });
  }

  async destroy() {
    return this.stack.destroy({ signal: AbortSignal.timeout(timeouts.operation) });
  }

  async outputs(): Promise<OutputMap> {
    return this.stack.outputs();
  }

  /**
   * The stack's state as `pulumi stack export` writes it: secrets stay encrypted, so a test can check that
   * no key material is in plain text. (The Automation API's exportStack adds --show-secrets.)
   */
  async exportState(): Promise<Deployment> {
    const { stdout } = await run(this.cli.pulumi, ["stack", "export", "--stack", this.stack.name], {
      cwd: this.workDir,
      env: { ...process.env, ...this.cli.env },
      timeout: timeouts.operation,
      maxBuffer: 256 * 1024 * 1024,
    });
    return JSON.parse(stdout) as Deployment;
  }

  /** The resources in state, without the stack and provider resources. */
  async resources(): Promise<Array<Record<string, unknown>>> {
    const state = await this.exportState();
    const resources = (state.deployment?.resources ?? []) as Array<Record<string, unknown>>;
    return resources.filter((r) => {
      const type = String(r.type);
      return type !== "pulumi:pulumi:Stack" && !type.startsWith("pulumi:providers:");
    });
  }
}

export interface ProjectStackOptions {
  readonly stackName: string;
  /** The project directory; the repository root (the mesh-pki program) by default. */
  readonly workDir?: string;
  readonly config?: Record<string, string>;
  readonly secretConfig?: Record<string, string>;
}

export interface TempProjectOptions {
  /** Project name in Pulumi.yaml. */
  readonly projectName: string;
  /** The program: CommonJS JavaScript for index.js; it can require the repository's packages. */
  readonly program: string;
  readonly stackName?: string;
  readonly config?: Record<string, string>;
}

/** Where a session keeps its state. */
export type BackendKind = "file" | "postgres";

export interface SessionOptions {
  /** The state backend; MESH_PKI_TEST_BACKEND when set, otherwise "file". */
  readonly backend?: BackendKind;
}

/** The backend a session uses when none is asked for: MESH_PKI_TEST_BACKEND, or "file". */
export function defaultBackend(): BackendKind {
  const value = process.env.MESH_PKI_TEST_BACKEND ?? "file";
  if (value !== "file" && value !== "postgres") {
    throw new Error(`MESH_PKI_TEST_BACKEND=${value} is not a backend; use file or postgres`);
  }
  return value;
}

/** A session's state: a temporary directory, or a table of its own on a PostgreSQL server. */
export type SessionBackend =
  | { readonly kind: "file"; readonly dir: string; readonly url: string }
  | {
      readonly kind: "postgres";
      /** The server's URL, without a table. */
      readonly serverUrl: string;
      readonly table: string;
      /** The server's URL with `?table=`: what PULUMI_BACKEND_URL is set to. */
      readonly url: string;
    };

/** One per test file: a temporary backend, the stacks made in it, and their cleanup. */
export class EngineSession {
  private readonly stacks: TestStack[] = [];
  private readonly tempDirs: string[] = [];

  private constructor(
    readonly environment: EngineEnvironment,
    readonly backend: SessionBackend,
    private readonly pulumi: PulumiCommand,
  ) {}

  static async start(label: string, options: SessionOptions = {}): Promise<EngineSession> {
    const environment = await engineEnvironment();
    const pulumi = await PulumiCommand.get({
      root: path.dirname(environment.binDir),
      skipVersionCheck: true,
    });
    const kind = options.backend ?? defaultBackend();
    if (kind === "postgres") {
      // The backend creates the table on first use; cleanup() drops it.
      const server = await acquirePostgres();
      const table = tableName(label);
      const url = backendUrl(server.url, table);
      return new EngineSession(environment, { kind, serverUrl: server.url, table, url }, pulumi);
    }
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `mesh-pki-${label}-state-`));
    const session = new EngineSession(environment, { kind, dir, url: `file://${dir}` }, pulumi);
    session.tempDirs.push(dir);
    return session;
  }

  /** Environment for the CLI: the engine's, with this session's backend. */
  get env(): Record<string, string> {
    return { ...this.environment.env, PULUMI_BACKEND_URL: this.backend.url };
  }

  /** A stack of an existing project directory (the repository's program by default). */
  async projectStack(options: ProjectStackOptions): Promise<TestStack> {
    const workDir = options.workDir ?? repoRoot;
    // `pulumi stack rm` deletes the stack's config file; keep what a project already had.
    const configFile = path.join(workDir, `Pulumi.${options.stackName}.yaml`);
    const original = await fs.readFile(configFile, "utf8").catch(() => null);
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: options.stackName, workDir },
      { envVars: this.env, pulumiCommand: this.pulumi },
    );
    const cli = { pulumi: path.join(this.environment.binDir, "pulumi"), env: this.env };
    const testStack = new TestStack(stack, workDir, cli, original);
    this.stacks.push(testStack);
    if (options.config) await testStack.setConfig(options.config);
    if (options.secretConfig) await testStack.setConfig(options.secretConfig, { secret: true });
    return testStack;
  }

  /** A stack of a new temporary project whose program is `options.program`. */
  async tempProjectStack(options: TempProjectOptions): Promise<TestStack> {
    const workDir = await fs.mkdtemp(path.join(os.tmpdir(), `mesh-pki-${options.projectName}-`));
    this.tempDirs.push(workDir);
    await fs.writeFile(
      path.join(workDir, "Pulumi.yaml"),
      [
        `name: ${options.projectName}`,
        "runtime:",
        "  name: nodejs",
        "  options:",
        "    typescript: false",
        "main: index.js",
        "",
      ].join("\n"),
    );
    await fs.writeFile(
      path.join(workDir, "package.json"),
      JSON.stringify({ name: options.projectName, private: true, main: "index.js" }, null, 2),
    );
    await fs.symlink(path.join(repoRoot, "node_modules"), path.join(workDir, "node_modules"));
    await fs.writeFile(path.join(workDir, "index.js"), options.program);
    return this.projectStack({
      stackName: options.stackName ?? "test",
      workDir,
      config: options.config,
    });
  }

  /** Destroys every stack of the session, removes them and the temporary directories. */
  async cleanup(): Promise<void> {
    const problems: string[] = [];
    for (const testStack of this.stacks.reverse()) {
      try {
        await testStack.destroy();
        await testStack.stack.workspace.removeStack(testStack.stack.name);
        if (testStack.originalConfigFile !== null) {
          await fs.writeFile(testStack.configFile, testStack.originalConfigFile);
        }
      } catch (e) {
        problems.push(`${testStack.stack.name} in ${testStack.workDir}: ${(e as Error).message}`);
      }
    }
    for (const dir of this.tempDirs) await fs.rm(dir, { recursive: true, force: true });
    if (this.backend.kind === "postgres") {
      try {
        await dropTable(this.backend.serverUrl, this.backend.table);
      } catch (e) {
        problems.push(`table ${this.backend.table}: ${(e as Error).message}`);
      }
      await releasePostgres();
    }
    if (problems.length > 0) throw new Error(`cleanup failed for ${problems.join("; ")}`);
  }
}
