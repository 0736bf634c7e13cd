// Early renewal, which both certificate resources share. Upstream stores ready_for_renewal in state and
// decides at plan time, with the provider's own clock and without a refresh, whether the window
// (validity_end_time minus early_renewal_hours) has begun; if it has, the plan replaces the certificate
// because of ready_for_renewal. A refresh sets ready_for_renewal to true in state on the same condition.
// early_renewal_hours itself changes in place.

import { readyForRenewalAtPlan, renewalWindowBegun } from "./certificate";
import { input, Props, ResourceModule } from "./resource";
import { effective } from "./schema";
import { containsUnknown } from "./values";

export function renewalModule(module: ResourceModule): ResourceModule {
  const earlySpec = module.schema.inputs.earlyRenewalHours!;

  return {
    ...module,

    planReplaces(olds: Props, news: Props) {
      const early = effective(earlySpec, news.earlyRenewalHours);
      const end = olds.validityEndTime;
      if (containsUnknown(early) || typeof end !== "string") return [];
      return renewalWindowBegun(end, early as number) ? ["readyForRenewal"] : [];
    },

    update(olds: Props, news: Props) {
      const early = input<number>(news, "earlyRenewalHours", 0);
      return {
        ...olds,
        earlyRenewalHours: early,
        readyForRenewal: readyForRenewalAtPlan(input<number>(olds, "validityPeriodHours"), early),
      };
    },

    read(props: Props) {
      const end = props.validityEndTime;
      if (typeof end !== "string") return props;
      const begun = renewalWindowBegun(end, input<number>(props, "earlyRenewalHours", 0));
      return begun ? { ...props, readyForRenewal: true } : props;
    },
  };
}
