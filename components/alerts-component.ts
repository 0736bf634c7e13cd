import * as pulumi from "@pulumi/pulumi";
import type { AlertsConfig } from "./alerts-config";
import {
  alertRuleGroups,
  notAfterUnixSeconds,
  renderAlertRules,
  type RuleGroup,
  type ServiceWindow,
} from "./alerts";

/** One service as the alert rules see it: its windows from config, its not-after from the PKI. */
export interface AlertServiceArgs {
  /** The service name: the `service` label its metrics carry. */
  name: string;
  /** Validity of the service's certificate, in days. */
  validityDays: number;
  /** Days before expiry at which the certificate is rotated. */
  renewBeforeDays: number;
  /**
   * Not-after of the issued certificate, RFC 3339 (e.g. `ServiceIdentity.facts.notAfter`). When
   * given, a recording rule publishes it and the expiry alerts fall back to it.
   */
  notAfter?: pulumi.Input<string>;
}

export interface MeshAlertRulesArgs {
  /** The services of the mesh, in config order. */
  services: AlertServiceArgs[];
  /** The parsed `mesh-pki:alerts` config section. */
  config: AlertsConfig;
  /**
   * The stack named in the alerts' runbook text.
   * @default pulumi.getStack()
   */
  stack?: string;
}

/**
 * The Prometheus rules of a mesh, as groups and as a rules file. The rules are checked against the
 * windows when the component is declared, so a threshold that cannot work stops a preview; the
 * rendered file waits for the certificates' not-after. Delivery (a file, a container mount, a
 * PrometheusRule) belongs to the deploy target, which reads `rulesYaml`.
 */
export class MeshAlertRules extends pulumi.ComponentResource {
  /** The rule groups, as `alertRuleGroups` builds them. */
  readonly groups: pulumi.Output<RuleGroup[]>;
  /** The Prometheus rules file (`groups:`), YAML. */
  readonly rulesYaml: pulumi.Output<string>;

  constructor(name: string, args: MeshAlertRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    const windows = (notAfters: readonly (string | undefined)[]) =>
      args.services.map((service, i): ServiceWindow => ({
        name: service.name,
        validityDays: service.validityDays,
        renewBeforeDays: service.renewBeforeDays,
        notAfterUnixSeconds:
          notAfters[i] === undefined ? undefined : notAfterUnixSeconds(notAfters[i]),
      }));
    const stack = args.stack ?? pulumi.getStack();
    alertRuleGroups(windows([]), args.config, { stack });

    super("mesh-pki:alerts:MeshAlertRules", name, {}, opts);

    this.groups = pulumi
      .all(args.services.map((service) => service.notAfter))
      .apply((notAfters) => alertRuleGroups(windows(notAfters), args.config, { stack }));
    this.rulesYaml = this.groups.apply(renderAlertRules);
    // The rendered rules only: the groups are the same rules as objects, a second copy in the state.
    this.registerOutputs({ rulesYaml: this.rulesYaml });
  }
}

/** Where a PrometheusRule goes and how the Prometheus Operator finds it. */
export interface PrometheusRuleTarget {
  name: string;
  namespace: string;
  /** Labels the operator's `ruleSelector` matches, e.g. `{ release: "prometheus" }`. */
  labels?: Record<string, string>;
}

/** A `monitoring.coreos.com/v1` PrometheusRule manifest carrying the groups. Pure. */
export function prometheusRuleManifest(target: PrometheusRuleTarget, groups: readonly RuleGroup[]) {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: {
      name: target.name,
      namespace: target.namespace,
      labels: { "app.kubernetes.io/managed-by": "mesh-pki", ...target.labels },
    },
    spec: { groups },
  };
}
