import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseAlertsConfig } from "../../components/alerts-config";
import { alertRuleGroups, renderAlertRules } from "../../components/alerts";
import {
  MeshAlertRules,
  prometheusRuleManifest,
  type AlertServiceArgs,
} from "../../components/alerts-component";
import { MockHarness, installMocks, settle, valueOf } from "./mocks";

let mocks: MockHarness;
beforeAll(async () => {
  mocks = await installMocks();
});
beforeEach(() => mocks.reset());

const config = parseAlertsConfig({});
const services = (notAfter?: pulumi.Input<string>): AlertServiceArgs[] =>
  ["gateway", "auth"].map((name) => ({ name, validityDays: 365, renewBeforeDays: 30, notAfter }));

describe("MeshAlertRules", () => {
  it("registers one component without children and renders the generator's rules", async () => {
    const rules = new MeshAlertRules("alerts", {
      services: services(pulumi.output("2027-01-01T00:00:00Z")),
      config,
      stack: "prod",
    });
    await settle(rules.rulesYaml, rules.urn);

    expect(mocks.resources.map((r) => `${r.type} ${r.name} <- ${r.parent}`)).toEqual([
      "mesh-pki:alerts:MeshAlertRules alerts <- ",
    ]);
    const expected = alertRuleGroups(
      ["gateway", "auth"].map((name) => ({
        name,
        validityDays: 365,
        renewBeforeDays: 30,
        notAfterUnixSeconds: 1_798_761_600,
      })),
      config,
      { stack: "prod" },
    );
    expect(await valueOf(rules.groups)).toEqual(expected);
    expect(await valueOf(rules.rulesYaml)).toBe(renderAlertRules(expected));
  });

  it("leaves out the not-after records when the PKI's not-after is not given", async () => {
    const rules = new MeshAlertRules("alerts", { services: services(), config });
    const yaml = await valueOf(rules.rulesYaml);

    expect(yaml).not.toContain("mesh_pki_certificate_not_after_timestamp_seconds{");
    expect(yaml).toContain("Run `pulumi up --stack unit`");
  });

  it("stops at declaration, registering nothing, when a threshold cannot work", () => {
    expect(
      () =>
        new MeshAlertRules("alerts", {
          services: services(),
          config: parseAlertsConfig({ criticalDaysBeforeExpiry: 30 }),
        }),
    ).toThrow(
      "mesh-pki:alerts.criticalDaysBeforeExpiry (30) is not shorter than the renewal window",
    );
    expect(mocks.resources).toEqual([]);
  });
});

describe("prometheusRuleManifest", () => {
  it("wraps the groups in a PrometheusRule the operator selects by label", () => {
    const groups = alertRuleGroups(services(), config);
    const manifest = prometheusRuleManifest(
      { name: "mesh-pki", namespace: "monitoring", labels: { release: "prometheus" } },
      groups,
    );

    expect(manifest).toEqual({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: {
        name: "mesh-pki",
        namespace: "monitoring",
        labels: { "app.kubernetes.io/managed-by": "mesh-pki", release: "prometheus" },
      },
      spec: { groups },
    });
  });
});
