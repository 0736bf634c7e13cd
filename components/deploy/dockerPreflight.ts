/**
 * What the docker target checks before it declares any Docker object, in previews and updates alike, as
 * pure functions over what the engine and the host said (dockerProbe.ts asks them): every image is on the
 * engine, and every host port is free or published already by the container that will publish it (this
 * stack's container of the same name, as on a rerun). Each problem names the service, the image or port,
 * who holds the port and the config key to change. No Pulumi.
 *
 * A port can still be taken between this check and the container's start; the provider then fails that
 * container's create with the engine's "address already in use".
 */

/** One container the docker target is about to run. */
export interface PlannedContainer {
  /** Who it is in messages: "service boards", "Prometheus". */
  who: string;
  /** The container's name on the engine. */
  container: string;
  image: string;
  /** The config key(s) that set the image, for messages. */
  imageKey: string;
  /** How to get the image onto the engine, for messages. */
  imageHint: string;
  /** The port on 127.0.0.1 it publishes. */
  hostPort: number;
  /** The config key that sets the port, for messages. */
  portKey: string;
}

/** A running container's host ports that cover 127.0.0.1 (published on it, or on every address). */
export interface Publisher {
  name: string;
  hostPorts: number[];
}

/** What the engine and the host said. */
export interface EngineFacts {
  /** The engine's address, for messages. */
  address: string;
  /** Images of the plan that are not on the engine. */
  missingImages: readonly string[];
  /** Running containers that publish a host port covering 127.0.0.1. */
  publishers: readonly Publisher[];
  /**
   * Ports of the plan that no container publishes and that a bind on 127.0.0.1 found taken, with what
   * holds each when known ("process node (pid 12)"); empty when the engine is not on this machine.
   */
  boundElsewhere: ReadonlyMap<number, string | undefined>;
}

export interface PreflightVerdict {
  /** Each a sentence naming what to change; any of them stops the program. */
  problems: string[];
  /** Worth saying, not stopping for: a port that moves. */
  notes: string[];
}

/** The problems and notes of a plan, given what the engine and the host said. */
export function preflightVerdict(
  plan: readonly PlannedContainer[],
  facts: EngineFacts,
): PreflightVerdict {
  const problems: string[] = [];
  const notes: string[] = [];
  const missing = new Set(facts.missingImages);
  const ours = new Map(plan.map((p) => [p.container, p]));

  for (const p of plan) {
    if (!missing.has(p.image)) continue;
    problems.push(
      `image ${p.image} of ${p.who} is not on the Docker engine at ${facts.address}; ${p.imageHint}, or set ${p.imageKey} to an image that is`,
    );
  }

  for (const p of plan) {
    const now = facts.publishers.find((c) => c.name === p.container)?.hostPorts ?? [];
    const keep =
      now.length > 0 && !now.includes(p.hostPort)
        ? `, or to ${now[0]} (the port its container publishes now) to keep that`
        : "";
    const holders = facts.publishers
      .filter((c) => c.name !== p.container && c.hostPorts.includes(p.hostPort))
      .map((c) => {
        const sibling = ours.get(c.name);
        return sibling === undefined
          ? `Docker container ${c.name} publishes it`
          : `Docker container ${c.name} (this stack's ${sibling.who}, which moves in this update but may still hold it when ${p.who} starts) publishes it`;
      });
    if (holders.length > 0) {
      problems.push(
        `${p.who} cannot publish 127.0.0.1:${p.hostPort}: ${holders.join("; ")}; remove that container or set ${p.portKey} to a free port${keep}`,
      );
      continue;
    }
    if (now.includes(p.hostPort)) continue;
    if (facts.boundElsewhere.has(p.hostPort)) {
      const holder = facts.boundElsewhere.get(p.hostPort) ?? "another process on this machine";
      problems.push(
        `${p.who} cannot publish 127.0.0.1:${p.hostPort}: ${holder} listens on it, and it is not a Docker container; stop it or set ${p.portKey} to a free port${keep}`,
      );
      continue;
    }
    if (now.length > 0) {
      notes.push(
        `${p.who} moves from 127.0.0.1:${now[0]} to 127.0.0.1:${p.hostPort} (its container is replaced); to keep the old port, set ${p.portKey} to ${now[0]}`,
      );
    }
  }
  return { problems, notes };
}

/** The one message for a verdict with problems: every problem, and that nothing Docker was declared. */
export function preflightMessage(address: string, problems: readonly string[]): string {
  return [
    `${problems.length === 1 ? "a problem" : `${problems.length} problems`} with the Docker engine at ${address}, so no Docker object was declared:`,
    ...problems.map((p) => `  - ${p}`),
  ].join("\n");
}

/** Host addresses whose published port also takes 127.0.0.1:<port>. */
const COVERS_LOOPBACK = new Set(["", "0.0.0.0", "127.0.0.1", "::", "::ffff:127.0.0.1"]);

/** The host ports covering 127.0.0.1 in a container's port list as the engine's list call gives it. */
export function loopbackHostPorts(
  ports: readonly { IP?: string; PublicPort?: number; Type?: string }[],
): number[] {
  const out = new Set<number>();
  for (const p of ports) {
    if (p.Type === "tcp" && p.PublicPort && COVERS_LOOPBACK.has(p.IP ?? "")) out.add(p.PublicPort);
  }
  return [...out].sort((a, b) => a - b);
}
