/**
 * The docker target's host ports: `services.<name>.deploy.hostPort` wins, every other service gets
 * `deploy.hostPortBase` plus its position among all services (so a port of one's own moves nobody), and
 * the config check refuses, naming the path to change, a port two services share, a hostPort another
 * service gets by default, Prometheus on a service's port and a base that leaves no room.
 */
import { describe, expect, it } from "vitest";
import { MeshConfigError, parseMeshConfig } from "../../components/config";
import { hostPortProblems, hostPorts } from "../../components/deploy/dockerPorts";

const SIX = ["gateway", "auth", "boards", "media", "search", "moderation"];

/** The raw stack config of a docker stack with these services (name → deploy settings). */
function dockerConfig(
  services: Record<string, Record<string, unknown>>,
  deploy: Record<string, unknown> = {},
): Record<string, string> {
  return {
    "mesh-pki:deploy": JSON.stringify({ target: "docker", ...deploy }),
    "mesh-pki:services": JSON.stringify(
      Object.fromEntries(Object.entries(services).map(([n, d]) => [n, { deploy: d }])),
    ),
  };
}

const six = (overrides: Record<string, Record<string, unknown>> = {}) =>
  Object.fromEntries(SIX.map((s) => [s, overrides[s] ?? {}]));

function problems(raw: Record<string, string>): { path: string; message: string }[] {
  try {
    parseMeshConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(MeshConfigError);
    return (err as MeshConfigError).problems;
  }
  return [];
}

describe("hostPorts", () => {
  it("gives a service without hostPort the base plus its position, in the order given", () => {
    expect(hostPorts([{ name: "gateway" }, { name: "auth" }, { name: "boards" }], 18443)).toEqual({
      gateway: 18443,
      auth: 18444,
      boards: 18445,
    });
  });

  it("gives a service its hostPort and moves no other service", () => {
    expect(
      hostPorts(
        [{ name: "gateway" }, { name: "auth", hostPort: 20000 }, { name: "boards" }],
        18443,
      ),
    ).toEqual({ gateway: 18443, auth: 20000, boards: 18445 });
  });

  it("refuses a base that leaves no room for the services without hostPort", () => {
    expect(() => hostPorts([{ name: "a" }, { name: "b" }], 65535)).toThrow(
      "mesh-pki:deploy.hostPortBase 65535 leaves no room below 65536 for service b at position 1 of mesh-pki:services",
    );
    expect(hostPorts([{ name: "a" }, { name: "b", hostPort: 2000 }], 65535)).toEqual({
      a: 65535,
      b: 2000,
    });
  });
});

describe("services.<name>.deploy.hostPort in the stack config", () => {
  it("is read, and a docker stack with its own ports and the defaults around them is accepted", () => {
    const config = parseMeshConfig(dockerConfig(six({ boards: { hostPort: 20445 } })));
    expect(config.services.boards.deploy).toEqual({ hostPort: 20445 });
    expect(config.services.auth.deploy).toEqual({});
  });

  it.each([
    [{ hostPort: 80 }, "must be between 1024 and 65535 (no privileged ports)"],
    [{ hostPort: 70000 }, "must be between 1024 and 65535"],
    [{ hostPort: 20000.5 }, "expected a whole port number"],
    [{ hostPort: "20000" }, "expected a port number"],
  ])("refuses %j, naming the path", (deploy, message) => {
    expect(problems(dockerConfig(six({ media: deploy })))).toEqual([
      { path: "mesh-pki:services.media.deploy.hostPort", message },
    ]);
  });

  it.each([
    [
      "two services on one hostPort",
      six({ auth: { hostPort: 20000 }, search: { hostPort: 20000 } }),
      {},
      "mesh-pki:services.search.deploy.hostPort",
      "20000 is also mesh-pki:services.auth.deploy.hostPort; give each service its own host port",
    ],
    [
      "a hostPort that another service gets by default",
      six({ gateway: { hostPort: 18445 } }),
      {},
      "mesh-pki:services.gateway.deploy.hostPort",
      "18445 is the host port service boards gets by default (mesh-pki:deploy.hostPortBase 18443 + its position 2 in mesh-pki:services); choose another port, or set mesh-pki:services.boards.deploy.hostPort too",
    ],
    [
      "a hostPort on the default Prometheus port",
      six({ media: { hostPort: 19090 } }),
      {},
      "mesh-pki:services.media.deploy.hostPort",
      "19090 is the default Prometheus host port (mesh-pki:deploy.prometheusHostPort); choose another port, or set mesh-pki:deploy.prometheusHostPort to another",
    ],
    [
      "a hostPort on the Prometheus port set in config",
      six({ media: { hostPort: 21000 } }),
      { prometheusHostPort: 21000 },
      "mesh-pki:services.media.deploy.hostPort",
      "21000 is mesh-pki:deploy.prometheusHostPort; choose another port, or set mesh-pki:deploy.prometheusHostPort to another",
    ],
    [
      "Prometheus on a service's default port",
      six(),
      { prometheusHostPort: 18444 },
      "mesh-pki:deploy.prometheusHostPort",
      "18444 is also the host port service auth gets by default (mesh-pki:deploy.hostPortBase 18443 + its position 1); set mesh-pki:deploy.prometheusHostPort to another port",
    ],
    [
      "a base that leaves no room",
      six(),
      { hostPortBase: 65533 },
      "mesh-pki:deploy.hostPortBase",
      "65533 leaves no room below 65536 for service moderation at position 5 of mesh-pki:services; set a lower base such as 18443, or give the last services a deploy.hostPort",
    ],
  ])("refuses %s, naming the path to change", (_case, services, deploy, path, message) => {
    expect(problems(dockerConfig(services, deploy))).toEqual([{ path, message }]);
  });

  it("checks the ports of the docker target only", () => {
    const raw = dockerConfig(six({ auth: { hostPort: 20000 }, search: { hostPort: 20000 } }));
    raw["mesh-pki:deploy"] = JSON.stringify({ target: "files" });
    expect(problems(raw)).toEqual([]);
  });

  it("finds nothing wrong with the reference mesh on the defaults", () => {
    expect(
      hostPortProblems(
        SIX.map((name) => ({ name })),
        {},
      ),
    ).toEqual([]);
  });
});
