// docker:index/container:Container (resource_docker_container.go). Upstream forces a new container on a
// change of almost every input; of those the stand-in serves, only `restart` changes in place.

import type Docker from "dockerode";
import {
  checkNestedNames,
  engineMessage,
  Failure,
  isNotFound,
  Props,
  ResourceModule,
} from "./resource";
import { tarOf } from "./tar";

interface Port {
  internal: number;
  external?: number;
  ip?: string;
  protocol?: string;
}

interface NetworkAttachment {
  name: string;
  aliases?: string[];
}

interface Upload {
  file: string;
  content?: string;
  contentBase64?: string;
  executable?: boolean;
  permissions?: string;
}

interface Label {
  label: string;
  value: string;
}

const PORT_KEYS = ["internal", "external", "ip", "protocol"] as const;
const NETWORK_KEYS = ["name", "aliases"] as const;
const UPLOAD_KEYS = ["file", "content", "contentBase64", "executable", "permissions"] as const;
const LABEL_KEYS = ["label", "value"] as const;

/** How long a container must stay running after its start when mustRun is true (upstream waits too). */
const RUNNING_CHECK_MS = 1500;

function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

function uploadMode(upload: Upload): number {
  if (typeof upload.permissions === "string") return parseInt(upload.permissions, 8);
  return upload.executable ? 0o744 : 0o644;
}

function uploadContent(upload: Upload): Buffer {
  if (typeof upload.contentBase64 === "string") return Buffer.from(upload.contentBase64, "base64");
  return Buffer.from(upload.content ?? "", "utf8");
}

export const container: ResourceModule = {
  token: "docker:index/container:Container",
  inputs: {
    name: { replaceOnChange: true, required: true },
    image: { replaceOnChange: true, required: true },
    envs: { replaceOnChange: true },
    hostname: { replaceOnChange: true },
    labels: { replaceOnChange: true },
    networksAdvanced: { replaceOnChange: true },
    ports: { replaceOnChange: true },
    uploads: { replaceOnChange: true },
    mustRun: { replaceOnChange: false },
    restart: { replaceOnChange: false },
  },

  withDefaults(props) {
    return {
      ...props,
      ports: list<Port>(props.ports).map((p) => ({ ip: "0.0.0.0", protocol: "tcp", ...p })),
      mustRun: props.mustRun ?? true,
      restart: props.restart ?? "no",
    };
  },

  check(news): Failure[] {
    const failures: Failure[] = [];
    for (const p of list<Port>(news.ports))
      failures.push(...checkNestedNames("ports", p, PORT_KEYS));
    for (const n of list<NetworkAttachment>(news.networksAdvanced)) {
      failures.push(...checkNestedNames("networksAdvanced", n, NETWORK_KEYS));
    }
    for (const u of list<Upload>(news.uploads)) {
      failures.push(...checkNestedNames("uploads", u, UPLOAD_KEYS));
      if (typeof u.permissions === "string" && !/^0?[0-7]{3}$/.test(u.permissions)) {
        failures.push({
          property: "uploads",
          reason: `permissions ${JSON.stringify(u.permissions)} of ${u.file} is not an octal mode such as "0400"`,
        });
      }
    }
    for (const l of list<Label>(news.labels))
      failures.push(...checkNestedNames("labels", l, LABEL_KEYS));
    if (list(news.networksAdvanced).length > 1) {
      failures.push({
        property: "networksAdvanced",
        reason: "the mesh-pki docker stand-in attaches a container to one network; list one",
      });
    }
    const restart = news.restart;
    if (
      restart !== undefined &&
      !["no", "on-failure", "always", "unless-stopped"].includes(restart as string)
    ) {
      failures.push({
        property: "restart",
        reason: `restart ${JSON.stringify(restart)} is not one of no, on-failure, always, unless-stopped`,
      });
    }
    return failures;
  },

  async create(docker, inputs) {
    const name = inputs.name as string;
    const ports = list<Port>(inputs.ports).map((p) => ({ ip: "0.0.0.0", protocol: "tcp", ...p }));
    const network = list<NetworkAttachment>(inputs.networksAdvanced)[0];
    const restart = (inputs.restart as string | undefined) ?? "no";

    const created = await docker
      .createContainer({
        name,
        Image: inputs.image as string,
        Env: list<string>(inputs.envs),
        Hostname: inputs.hostname as string | undefined,
        Labels: Object.fromEntries(list<Label>(inputs.labels).map((l) => [l.label, l.value])),
        ExposedPorts: Object.fromEntries(ports.map((p) => [`${p.internal}/${p.protocol}`, {}])),
        HostConfig: {
          RestartPolicy: { Name: restart },
          NetworkMode: network?.name,
          PortBindings: Object.fromEntries(
            ports.map((p) => [
              `${p.internal}/${p.protocol}`,
              [{ HostIp: p.ip, HostPort: p.external === undefined ? "" : String(p.external) }],
            ]),
          ),
        },
        NetworkingConfig: network
          ? { EndpointsConfig: { [network.name]: { Aliases: network.aliases ?? [] } } }
          : undefined,
      })
      .catch((err: unknown) => {
        throw new Error(`Docker could not create container ${name}: ${engineMessage(err)}`);
      });

    // From here on a failure removes the container, so a failed create leaves nothing behind.
    try {
      const uploads = list<Upload>(inputs.uploads);
      if (uploads.length > 0) {
        const archive = tarOf(
          uploads.map((u) => ({ path: u.file, content: uploadContent(u), mode: uploadMode(u) })),
        );
        await created.putArchive(archive, { path: "/" });
      }
      await created.start().catch((err: unknown) => {
        const published = ports.map(
          (p) => `${p.ip}:${p.external ?? "?"}->${p.internal}/${p.protocol}`,
        );
        throw new Error(
          `Docker could not start container ${name} (ports ${published.join(", ") || "none"}): ${engineMessage(err)}`,
        );
      });
      if (inputs.mustRun !== false) await mustBeRunning(created, name);
    } catch (err) {
      await created.remove({ force: true }).catch(() => undefined);
      throw err;
    }

    return { id: created.id, outs: outputs(inputs, restart) };
  },

  async update(docker, id, olds, news) {
    const restart = (news.restart as string | undefined) ?? "no";
    await docker.getContainer(id).update({ RestartPolicy: { Name: restart } });
    return { ...olds, ...outputs(news, restart) };
  },

  async read(docker, id, props) {
    try {
      const info = await docker.getContainer(id).inspect();
      return { ...props, name: info.Name.replace(/^\//, "") };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },

  async delete(docker, id) {
    try {
      await docker.getContainer(id).remove({ force: true });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },
};

async function mustBeRunning(created: Docker.Container, name: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, RUNNING_CHECK_MS));
  const state = (await created.inspect()).State;
  if (!state.Running) {
    const logs = (await created.logs({ stdout: true, stderr: true, tail: 20 })).toString("utf8");
    throw new Error(
      `container ${name} exited (code ${state.ExitCode}) right after it started; its last output:\n${logs}`,
    );
  }
}

function outputs(inputs: Props, restart: string): Props {
  return {
    name: inputs.name,
    image: inputs.image,
    envs: inputs.envs,
    hostname: inputs.hostname,
    labels: inputs.labels,
    networksAdvanced: inputs.networksAdvanced,
    ports: list<Port>(inputs.ports).map((p) => ({ ip: "0.0.0.0", protocol: "tcp", ...p })),
    uploads: inputs.uploads,
    mustRun: inputs.mustRun ?? true,
    restart,
  };
}
