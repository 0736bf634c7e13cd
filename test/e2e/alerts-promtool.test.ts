import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { parseAlertsConfig } from "../../components/alerts-config";
import { alertRuleGroups, renderAlertRules, type ServiceWindow } from "../../components/alerts";
import {
  FALLBACK_NOT_AFTER,
  REFERENCE_SERVICES,
  fallbackTests,
  referenceTests,
  renderTestFile,
} from "../promtool/rule-tests";

const run = promisify(execFile);
const root = resolve(__dirname, "../..");
const NOT_AFTER_2027 = 1_798_761_600;
const PROMTOOL_TIMEOUT_MS = 60_000;

interface Result {
  code: number;
  output: string;
}

let promtool: string;
let dir: string;

async function promtoolRun(...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(promtool, args, {
      cwd: dir,
      timeout: PROMTOOL_TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === "number" ? failed.code : -1,
      output: `${failed.code}\n${failed.stdout ?? ""}${failed.stderr ?? ""}`,
    };
  }
}

function mesh(notAfter: (service: string) => number | undefined): ServiceWindow[] {
  return REFERENCE_SERVICES.map((name) => ({
    name,
    validityDays: 365,
    renewBeforeDays: 30,
    notAfterUnixSeconds: notAfter(name),
  }));
}

// The reference mesh: 365-day certificates renewed 30 days before expiry, critical at 7 days.
const config = parseAlertsConfig({ criticalDaysBeforeExpiry: 7 });
const referenceGroups = alertRuleGroups(
  mesh(() => NOT_AFTER_2027),
  config,
  { stack: "dev" },
);
const fallbackGroups = alertRuleGroups(
  mesh((name) => FALLBACK_NOT_AFTER[name as keyof typeof FALLBACK_NOT_AFTER] ?? NOT_AFTER_2027),
  config,
);

describe("alert rules under promtool", () => {
  beforeAll(async () => {
    // Installs Debian's prometheus package on first use (about a minute); later runs find it at once.
    const { stdout } = await run(join(root, "tools/promtool.sh"), [], { timeout: 600_000 });
    promtool = stdout.trim();
    dir = await mkdtemp(join(tmpdir(), "mesh-pki-promtool-"));
    await writeFile(join(dir, "rules.yml"), renderAlertRules(referenceGroups));
    await writeFile(join(dir, "rules-fallback.yml"), renderAlertRules(fallbackGroups));
    await writeFile(
      join(dir, "reference.test.yml"),
      renderTestFile("rules.yml", referenceTests(referenceGroups)),
    );
    await writeFile(
      join(dir, "fallback.test.yml"),
      renderTestFile("rules-fallback.yml", fallbackTests(fallbackGroups)),
    );
  }, 660_000);

  afterAll(async () => {
    if (dir !== undefined) {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("is a real promtool", async () => {
    const { code, output } = await promtoolRun("--version");
    expect(code, output).toBe(0);
    expect(output).toMatch(/^promtool, version \d+\.\d+\.\d+/);
  });

  it("passes `promtool check rules` for the reference mesh: 6 records and 19 alerts", async () => {
    const { code, output } = await promtoolRun("check", "rules", "rules.yml", "rules-fallback.yml");
    expect(code, output).toBe(0);
    expect(output).toContain("Checking rules.yml\n  SUCCESS: 25 rules found");
    expect(output).toContain("Checking rules-fallback.yml\n  SUCCESS: 25 rules found");
  });

  it("fails `promtool check rules` on a broken expression, so the check above means something", async () => {
    const broken = renderAlertRules(referenceGroups).replace(" < 30\n", " < < 30\n");
    await writeFile(join(dir, "broken.yml"), broken);

    const { code, output } = await promtoolRun("check", "rules", "broken.yml");
    expect(code, output).not.toBe(0);
    expect(output).toMatch(/parse error/);
  });

  it("passes `promtool test rules`: renewal cycle, late rotation, critical, absent, handshakes", async () => {
    const { code, output } = await promtoolRun("test", "rules", "reference.test.yml");
    expect(code, output).toBe(0);
    expect(output).toContain("SUCCESS");
  });

  it("passes `promtool test rules`: the PKI's not-after while a service is silent", async () => {
    const { code, output } = await promtoolRun("test", "rules", "fallback.test.yml");
    expect(code, output).toBe(0);
    expect(output).toContain("SUCCESS");
  });

  it("fails `promtool test rules` when an expectation is wrong, so the passes above mean something", async () => {
    const wrong = referenceTests(referenceGroups).map((group) => ({
      ...group,
      alert_rule_test: group.alert_rule_test?.map((test) => ({ ...test, exp_alerts: [] })),
    }));
    await writeFile(join(dir, "wrong.test.yml"), renderTestFile("rules.yml", wrong));

    const { code, output } = await promtoolRun("test", "rules", "wrong.test.yml");
    expect(code, output).not.toBe(0);
    for (const alert of [
      "MeshCertificateRotationOverdue",
      "MeshCertificateExpiryCritical",
      "MeshCertificateExpiryMetricAbsent",
      "MeshMtlsHandshakeFailureRate",
    ]) {
      expect(output).toContain(`alertname: ${alert}`);
    }
  });
});
