/**
 * The `mesh-pki:deploy` config section: where the certificates go. Pure: no Pulumi.
 */
import { z } from "zod";

export const DEPLOY_TARGETS = ["files", "docker", "kubernetes", "none"] as const;
export type DeployTarget = (typeof DEPLOY_TARGETS)[number];

export const deployConfigSchema = z
  .strictObject({
    /** `files` writes the layout under `directory`; `none` keeps the PKI and outputs only. */
    target: z
      .enum(DEPLOY_TARGETS, {
        error: (issue) =>
          `unknown deploy target ${JSON.stringify(issue.input)}; use one of ${DEPLOY_TARGETS.join(", ")}`,
      })
      .default("files"),
    /** For `files`: the directory the layout is written under, relative to the project directory. */
    directory: z
      .string({ error: "expected a directory path" })
      .min(1, { error: "must not be empty; set a directory such as certs" })
      .default("certs"),
  })
  .prefault({});

export type DeployConfig = z.output<typeof deployConfigSchema>;
