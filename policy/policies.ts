/** Every policy of the pack, in the order the engine reports them. */
import type { Policies } from "@pulumi/policy";
import { deploymentPolicies } from "./deployments";
import { keyPolicies } from "./keys";
import { sanPolicies } from "./sans";
import { stackPolicies } from "./stack";
import { tlsProfilePolicies } from "./tls-profile";
import { usagePolicies } from "./usages";
import { validityPolicies } from "./validity";

export const policies: Policies = [
  ...keyPolicies,
  ...validityPolicies,
  ...usagePolicies,
  ...sanPolicies,
  ...tlsProfilePolicies,
  ...deploymentPolicies,
  ...stackPolicies,
];
