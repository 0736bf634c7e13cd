/**
 * The services a stack deploys, read the same way from a Docker container and from a Kubernetes
 * Deployment: per container, its environment and its mounts.
 */
import { at, isUnknown, list, str, Unknown, type Plain } from "./known";
import type { Subject } from "./policy";
import { DOCKER_CONTAINER, K8S_DEPLOYMENT } from "./types";

export interface EnvEntry {
  readonly name: string | Unknown;
  /** The literal value; undefined when the variable takes its value from elsewhere. */
  readonly value: string | Unknown | undefined;
  /** For Kubernetes `valueFrom`: `secret <name> key <key>` or `configMap ...`. */
  readonly from?: { kind: string; name: string; key: string };
}

export interface Mount {
  /** Where the files appear inside the container. */
  readonly path: string | Unknown;
  readonly readOnly: boolean | Unknown | undefined;
  readonly subPath: string | Unknown | undefined;
  /** A Kubernetes Secret volume (the way certificates reach a pod). */
  readonly fromSecret: boolean;
  /** How messages name the mount: `volume tls at /etc/mtls`. */
  readonly label: string;
}

export interface Container {
  /** How messages name the container inside its resource; empty for a Docker container. */
  readonly label: string;
  readonly env: EnvEntry[] | Unknown;
  readonly mounts: Mount[];
}

export function containersOf(resource: Subject): Container[] {
  switch (resource.type) {
    case DOCKER_CONTAINER:
      return [dockerContainer(resource.props)];
    case K8S_DEPLOYMENT:
      return deploymentContainers(resource.props);
    default:
      return [];
  }
}

function dockerContainer(props: Plain): Container {
  const envs = list(props.envs);
  const env = isUnknown(envs)
    ? envs
    : (envs ?? []).map((entry, i): EnvEntry => {
        if (isUnknown(entry) || typeof entry !== "string") {
          const unknown = isUnknown(entry) ? entry : new Unknown(`envs[${i}]`);
          return { name: unknown, value: unknown };
        }
        const eq = entry.indexOf("=");
        return eq < 0
          ? { name: entry, value: "" }
          : { name: entry.slice(0, eq), value: entry.slice(eq + 1) };
      });

  const mounts: Mount[] = [];
  const volumes = list(props.volumes);
  for (const v of isUnknown(volumes) ? [] : (volumes ?? [])) {
    const path = str(at(v, "containerPath")) ?? "";
    const source = str(at(v, "hostPath")) ?? str(at(v, "volumeName")) ?? "";
    mounts.push({
      path,
      readOnly: boolOf(at(v, "readOnly")),
      subPath: undefined,
      fromSecret: false,
      label: `volume ${describe(source)} at ${describe(path)}`,
    });
  }
  const binds = list(props.mounts);
  for (const m of isUnknown(binds) ? [] : (binds ?? [])) {
    const path = str(at(m, "target")) ?? "";
    mounts.push({
      path,
      readOnly: boolOf(at(m, "readOnly")),
      subPath: undefined,
      fromSecret: false,
      label: `mount ${describe(str(at(m, "source")) ?? "")} at ${describe(path)}`,
    });
  }
  return { label: "", env, mounts };
}

function deploymentContainers(props: Plain): Container[] {
  const pod = at(props, "spec", "template", "spec");
  const secretVolumes = new Set<string>();
  const volumes = list(at(pod, "volumes"));
  for (const v of isUnknown(volumes) ? [] : (volumes ?? [])) {
    const name = str(at(v, "name"));
    if (
      typeof name === "string" &&
      (at(v, "secret") !== undefined || at(v, "projected") !== undefined)
    ) {
      secretVolumes.add(name);
    }
  }

  const containers = [
    ...knownItems(list(at(pod, "initContainers"))),
    ...knownItems(list(at(pod, "containers"))),
  ];
  return containers.map((c) => {
    const envList = list(at(c, "env"));
    const env = isUnknown(envList)
      ? envList
      : (envList ?? []).map((e): EnvEntry => {
          const ref = at(e, "valueFrom", "secretKeyRef") ?? at(e, "valueFrom", "configMapKeyRef");
          const kind = at(e, "valueFrom", "secretKeyRef") !== undefined ? "Secret" : "ConfigMap";
          return {
            name: str(at(e, "name")) ?? "",
            value: str(at(e, "value")),
            ...(ref !== undefined
              ? { from: { kind, name: text(str(at(ref, "name"))), key: text(str(at(ref, "key"))) } }
              : {}),
          };
        });
    const mounts = knownItems(list(at(c, "volumeMounts"))).map((m): Mount => {
      const volume = str(at(m, "name"));
      const path = str(at(m, "mountPath")) ?? "";
      return {
        path,
        readOnly: boolOf(at(m, "readOnly")),
        subPath: str(at(m, "subPath")),
        fromSecret: typeof volume === "string" && secretVolumes.has(volume),
        label: `volume ${describe(volume ?? "")} at ${describe(path)}`,
      };
    });
    return { label: `container '${text(str(at(c, "name")))}'`, env, mounts };
  });
}

function knownItems(value: unknown[] | Unknown | undefined): unknown[] {
  return isUnknown(value) || value === undefined ? [] : value.filter((v) => !isUnknown(v));
}

function boolOf(value: unknown): boolean | Unknown | undefined {
  return typeof value === "boolean" || isUnknown(value) ? value : undefined;
}

function describe(value: string | Unknown): string {
  return isUnknown(value) ? "(unknown)" : value;
}

function text(value: string | Unknown | undefined): string {
  return value === undefined ? "" : describe(value);
}

/**
 * The value of an environment variable: its literal value, undefined when it is not set, or Unknown when
 * it is not set among the known entries but some entry is unknown (it may be that one).
 */
export function envValue(container: Container, name: string): string | Unknown | undefined {
  if (isUnknown(container.env)) {
    return container.env;
  }
  const entry = container.env.find((e) => e.name === name);
  if (entry) {
    return entry.value;
  }
  return container.env.find((e) => isUnknown(e.name))?.value;
}

/** The mesh service a container runs: the value of SERVICE_NAME, when it has one. */
export function serviceName(container: Container): string | Unknown | undefined {
  return envValue(container, "SERVICE_NAME");
}

/** Whether a container takes part in the mesh: it carries SERVICE_NAME or any MTLS_ variable. */
export function isMeshService(container: Container): boolean {
  return (
    !isUnknown(container.env) &&
    container.env.some(
      (e) =>
        typeof e.name === "string" && (e.name === "SERVICE_NAME" || e.name.startsWith("MTLS_")),
    )
  );
}

/** The certificate and key file paths a container reads (`MTLS_*_FILE`), where known. */
export function certificateFiles(container: Container): string[] {
  if (isUnknown(container.env)) {
    return [];
  }
  return container.env
    .filter((e) => typeof e.name === "string" && /^MTLS_.*_FILE$/.test(e.name))
    .map((e) => e.value)
    .filter((v): v is string => typeof v === "string" && v !== "");
}

/** Whether a mount holds certificate files: a Secret volume, or a directory one of them is read from. */
export function holdsCertificates(container: Container, mount: Mount): boolean {
  if (mount.fromSecret) {
    return true;
  }
  if (isUnknown(mount.path) || mount.path === "") {
    return false;
  }
  const dir = mount.path.endsWith("/") ? mount.path : `${mount.path}/`;
  return certificateFiles(container).some((f) => f === mount.path || f.startsWith(dir));
}

/** `Container 'gateway'` or `Deployment 'gateway' container 'app'`, for messages. */
export function where(resource: Subject, container: Container): string {
  return container.label === "" ? resource.label : `${resource.label} ${container.label}`;
}
