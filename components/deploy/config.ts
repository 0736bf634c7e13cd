/**
 * The `mesh-pki:deploy` config section: where the certificates go. Pure: no Pulumi.
 */
import { z } from "zod";
import { isDnsLabel } from "../../rules/tls";

export const DEPLOY_TARGETS = ["files", "docker", "kubernetes", "none"] as const;
export type DeployTarget = (typeof DEPLOY_TARGETS)[number];

/** The image a Deployment runs when neither the service nor `deploy.image` names one. */
export const DEFAULT_IMAGE = "ashchan/{service}:latest";

/** Keys that only the kubernetes target reads. */
export const KUBERNETES_ONLY_KEYS = [
  "namespace",
  "kubeconfig",
  "context",
  "renderDirectory",
  "skipAwait",
  "replicas",
] as const;

const path = (example: string) =>
  z
    .string({ error: "expected a path" })
    .min(1, { error: `must not be empty; set a path such as ${example} or remove the key` });

export const deployConfigSchema = z
  .strictObject(
    {
      /**
       * `files` writes the layout under `directory`; `kubernetes` applies a namespace, Secrets,
       * Deployments and Services (or renders them, see `renderDirectory`); `none` keeps the PKI and
       * outputs only.
       */
      target: z
        .enum(DEPLOY_TARGETS, {
          error: (issue) =>
            `unknown deploy target ${JSON.stringify(issue.input)}; use one of ${DEPLOY_TARGETS.join(", ")}`,
        })
        .default("files"),
      /** For `files`: the directory the layout is written under, relative to the project directory. */
      directory: path("certs").default("certs"),
      /** For `kubernetes`: the namespace every object goes in; created by the stack. */
      namespace: z
        .string({ error: "expected a namespace name" })
        .refine(isDnsLabel, {
          error: (issue) =>
            `namespace ${JSON.stringify(issue.input)} is not a DNS label (at most 63 lower-case letters, digits and inner hyphens); set a name such as mesh-pki`,
        })
        .default("mesh-pki"),
      /**
       * For `kubernetes`: the kubeconfig file, relative to the project directory. Unset: `KUBECONFIG`,
       * then `~/.kube/config`, as kubectl reads them.
       */
      kubeconfig: path("~/.kube/config").optional(),
      /** For `kubernetes`: the kubeconfig context. Unset: the kubeconfig's current context. */
      context: z
        .string({ error: "expected a context name" })
        .min(1, { error: "must not be empty; name a context of the kubeconfig or remove the key" })
        .optional(),
      /**
       * For `kubernetes`: write the manifests as YAML under this directory (relative to the project
       * directory) instead of applying them to a cluster. No cluster is contacted for the mesh's objects.
       */
      renderDirectory: path("rendered").optional(),
      /**
       * For `kubernetes`: do not wait for Deployments and Services to become ready. Only for clusters
       * without nodes (an API server alone, as in the end-to-end tests), where no pod ever runs.
       */
      skipAwait: z.boolean({ error: "expected true or false" }).default(false),
      /**
       * The image each service runs; `{service}` is replaced by the service name. A service's
       * `services.<name>.deploy.image` wins.
       */
      image: z
        .string({ error: "expected an image reference" })
        .min(1, { error: "must not be empty; set an image such as ashchan/{service}:1.4" })
        .default(DEFAULT_IMAGE),
      /**
       * For `docker`: the host port on 127.0.0.1 of a service without `services.<name>.deploy.hostPort`
       * is this base plus the service's position in `mesh-pki:services` (see deploy/dockerPorts.ts).
       * @default 18443
       */
      hostPortBase: z
        .number({ error: "expected a port number" })
        .int({ error: "expected a whole port number" })
        .min(1024, { error: "must be between 1024 and 65535 (no privileged ports)" })
        .max(65535, { error: "must be between 1024 and 65535" })
        .optional(),
      /**
       * For `docker`: the image of the Prometheus container that evaluates the mesh's alert rules; it must
       * be on the engine (tools/docker.sh prometheus-image builds the default, prom/prometheus works too).
       * @default mesh-pki/prometheus:local
       */
      prometheusImage: z
        .string({ error: "expected an image reference" })
        .min(1, { error: "must not be empty; set an image such as prom/prometheus:v2.53.0" })
        .optional(),
      /**
       * For `docker`: the port on 127.0.0.1 that reaches the Prometheus container's 9090.
       * @default 19090
       */
      prometheusHostPort: z
        .number({ error: "expected a port number" })
        .int({ error: "expected a whole port number" })
        .min(1024, { error: "must be between 1024 and 65535 (no privileged ports)" })
        .max(65535, { error: "must be between 1024 and 65535" })
        .optional(),
      /** For `kubernetes`: pods per Deployment. */
      replicas: z
        .number({ error: "expected a whole number of replicas" })
        .int({ error: "expected a whole number of replicas" })
        .min(0, { error: "must be 0 or more" })
        .max(100, { error: "must be 100 or fewer" })
        .default(2),
    },
    {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")}; the known keys here are: target, directory, ${KUBERNETES_ONLY_KEYS.join(", ")}, image, hostPortBase, prometheusImage, prometheusHostPort`
          : undefined,
    },
  )
  .superRefine((deploy, ctx) => {
    // Checked on the input the user wrote: a default is never a conflict.
    if (deploy.renderDirectory !== undefined) {
      for (const key of ["kubeconfig", "context"] as const) {
        if (deploy[key] !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `renderDirectory writes manifests without a cluster, so ${key} is never used; remove ${key} or renderDirectory`,
          });
        }
      }
    }
  })
  .prefault({});

export type DeployConfig = z.output<typeof deployConfigSchema>;
