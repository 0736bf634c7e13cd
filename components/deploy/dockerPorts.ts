/**
 * The host ports the docker target publishes on 127.0.0.1, as pure functions: which port each service
 * gets, and what is wrong with a config's ports (checked with the rest of the config, before anything is
 * declared). No Pulumi.
 *
 * A service with `services.<name>.deploy.hostPort` gets that port. Every other service gets
 * `deploy.hostPortBase` plus its position in `services`, counting every service, so giving one service a
 * port of its own never moves another. The position is the order in which the program receives
 * `services`: as written when the value is JSON text, but sorted by name when it is an object in
 * Pulumi.<stack>.yaml (Pulumi passes objects with their keys sorted). Adding or removing a service before
 * another therefore moves the other's default port, and replaces its container; a service that must keep
 * its port sets `hostPort`.
 *
 * TODO: defaults follow positions, so a service added or removed before others moves their ports (and
 * replaces their containers) unless each sets `hostPort`. Keeping a default where it was would need the
 * ports of the last run read back (a stack output, as the CA phase gate reads `rotation`), which the
 * program does not export.
 */
import { DEFAULT_HOST_PORT_BASE, DEFAULT_PROMETHEUS_HOST_PORT } from "./dockerSpec";

/** A service as the port allocation sees it. */
export interface PortRequest {
  name: string;
  /** `services.<name>.deploy.hostPort`, when set. */
  hostPort?: number;
}

/** A problem at a config path relative to the `mesh-pki:` namespace. */
export interface PortProblem {
  path: (string | number)[];
  message: string;
}

const MAX_PORT = 65535;
const key = (service: string) => `mesh-pki:services.${service}.deploy.hostPort`;

/** The port a service without `hostPort` gets: the base plus its position among all services. */
function defaultPort(base: number, position: number): number {
  return base + position;
}

/** Host ports by service. Throws when a default port would pass 65535 (the config check says so first). */
export function hostPorts(services: readonly PortRequest[], base: number): Record<string, number> {
  const overflow = hostPortBaseProblem(services, base);
  if (overflow !== undefined) throw new Error(`mesh-pki:deploy.hostPortBase ${overflow.message}`);
  return Object.fromEntries(services.map((s, i) => [s.name, s.hostPort ?? defaultPort(base, i)]));
}

function hostPortBaseProblem(
  services: readonly PortRequest[],
  base: number,
): PortProblem | undefined {
  const last = services.findLastIndex((s) => s.hostPort === undefined);
  if (last < 0 || defaultPort(base, last) <= MAX_PORT) return undefined;
  return {
    path: ["deploy", "hostPortBase"],
    message: `${base} leaves no room below 65536 for service ${services[last].name} at position ${last} of mesh-pki:services; set a lower base such as ${DEFAULT_HOST_PORT_BASE}, or give the last services a deploy.hostPort`,
  };
}

/**
 * Every problem with the ports of a docker deployment: a default port past 65535, two services on one
 * port, a service's `hostPort` that another service gets by default, and Prometheus on a service's port.
 * Each names the config path to change.
 */
export function hostPortProblems(
  services: readonly PortRequest[],
  deploy: { hostPortBase?: number; prometheusHostPort?: number },
): PortProblem[] {
  const base = deploy.hostPortBase ?? DEFAULT_HOST_PORT_BASE;
  const overflow = hostPortBaseProblem(services, base);
  if (overflow !== undefined) return [overflow];

  const problems: PortProblem[] = [];
  const byDefault = new Map<number, { name: string; position: number }>();
  services.forEach((s, position) => {
    if (s.hostPort === undefined)
      byDefault.set(defaultPort(base, position), { name: s.name, position });
  });

  const explicit = new Map<number, string>();
  for (const s of services) {
    if (s.hostPort === undefined) continue;
    const path = ["services", s.name, "deploy", "hostPort"];
    const other = explicit.get(s.hostPort);
    const defaulted = byDefault.get(s.hostPort);
    if (other !== undefined) {
      problems.push({
        path,
        message: `${s.hostPort} is also ${key(other)}; give each service its own host port`,
      });
    } else if (defaulted !== undefined) {
      problems.push({
        path,
        message: `${s.hostPort} is the host port service ${defaulted.name} gets by default (mesh-pki:deploy.hostPortBase ${base} + its position ${defaulted.position} in mesh-pki:services); choose another port, or set ${key(defaulted.name)} too`,
      });
    } else {
      explicit.set(s.hostPort, s.name);
    }
  }

  const prometheus = deploy.prometheusHostPort ?? DEFAULT_PROMETHEUS_HOST_PORT;
  const which =
    deploy.prometheusHostPort === undefined
      ? `the default Prometheus host port (mesh-pki:deploy.prometheusHostPort)`
      : "mesh-pki:deploy.prometheusHostPort";
  const owner = explicit.get(prometheus);
  const defaulted = byDefault.get(prometheus);
  if (owner !== undefined) {
    problems.push({
      path: ["services", owner, "deploy", "hostPort"],
      message: `${prometheus} is ${which}; choose another port, or set mesh-pki:deploy.prometheusHostPort to another`,
    });
  } else if (defaulted !== undefined) {
    problems.push({
      path: ["deploy", "prometheusHostPort"],
      message: `${prometheus}${deploy.prometheusHostPort === undefined ? " (the default)" : ""} is also the host port service ${defaulted.name} gets by default (mesh-pki:deploy.hostPortBase ${base} + its position ${defaulted.position}); set mesh-pki:deploy.prometheusHostPort to another port`,
    });
  }
  return problems;
}
