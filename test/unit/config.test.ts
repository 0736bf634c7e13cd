import { describe, expect, it } from "vitest";
import { KEY_ALGORITHMS } from "../../rules/tls";
import {
  DEFAULT_TLS13_CIPHERS,
  MeshConfigError,
  REFERENCE_SERVICES,
  configPath,
  parseMeshConfig,
} from "../../components/config";

const ns = (values: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(values).map(([k, v]) => [
      `mesh-pki:${k}`,
      typeof v === "string" ? v : JSON.stringify(v),
    ]),
  );

function problemOf(raw: Record<string, string>): MeshConfigError {
  try {
    parseMeshConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(MeshConfigError);
    return err as MeshConfigError;
  }
  throw new Error("expected the config to be refused");
}

describe("parseMeshConfig defaults", () => {
  it("reproduces the reference mesh from an empty config", () => {
    const config = parseMeshConfig({});

    expect(config.trustDomain).toBe("ashchan.local");
    expect(config.organization).toBe("Ashchan");
    expect(config.country).toBe("US");
    expect(config.ca).toEqual({
      commonName: "ashchan-ca",
      keyAlgorithm: "ecdsa-p256",
      validityDays: 3650,
      renewBeforeDays: 365,
    });
    expect(config.issuer).toEqual({ mode: "root" });
    expect(config.tls).toEqual({ minVersion: "TLSv1.3", ciphers: DEFAULT_TLS13_CIPHERS });
    expect(Object.keys(config.services)).toEqual([...REFERENCE_SERVICES]);
    for (const name of REFERENCE_SERVICES) {
      expect(config.services[name]).toEqual({
        name,
        keyAlgorithm: "ecdsa-p256",
        validityDays: 365,
        renewBeforeDays: 30,
        validityHours: 365 * 24,
        renewBeforeHours: 30 * 24,
        rotation: { forced: 0 },
        dnsNames: [],
        ipAddresses: [],
        peers: [],
        deploy: {},
      });
    }
  });

  it("ignores keys of other namespaces", () => {
    expect(parseMeshConfig({ "tls:someSetting": "x", "other:key": "{" }).trustDomain).toBe(
      "ashchan.local",
    );
  });

  it("takes string keys as given and structured keys as JSON", () => {
    const config = parseMeshConfig({
      "mesh-pki:trustDomain": "mesh.example",
      "mesh-pki:organization": "1234",
      "mesh-pki:issuer": '{"mode":"intermediate"}',
    });
    expect(config.trustDomain).toBe("mesh.example");
    expect(config.organization).toBe("1234");
    expect(config.issuer).toEqual({
      mode: "intermediate",
      commonName: "ashchan-ca-issuer",
      keyAlgorithm: "ecdsa-p256",
      validityDays: 1825,
      renewBeforeDays: 180,
    });
  });

  it("applies serviceDefaults to services that do not set their own", () => {
    const config = parseMeshConfig(
      ns({
        serviceDefaults: { keyAlgorithm: "rsa-3072", validityDays: 90, renewBeforeDays: 10 },
        services: { gateway: { validityDays: 200 }, auth: { keyAlgorithm: "ed25519" } },
      }),
    );
    expect(config.services.gateway).toMatchObject({
      keyAlgorithm: "rsa-3072",
      validityDays: 200,
      renewBeforeDays: 10,
    });
    expect(config.services.auth).toMatchObject({
      keyAlgorithm: "ed25519",
      validityDays: 90,
      renewBeforeDays: 10,
    });
  });

  it.each(KEY_ALGORITHMS)("accepts key algorithm %s for a service and for the CA", (alg) => {
    const config = parseMeshConfig(
      ns({ ca: { keyAlgorithm: alg }, services: { gateway: { keyAlgorithm: alg } } }),
    );
    expect(config.ca.keyAlgorithm).toBe(alg);
    expect(config.services.gateway.keyAlgorithm).toBe(alg);
  });

  it("accepts extra SANs, IPs, peers and deploy settings", () => {
    const config = parseMeshConfig(
      ns({
        services: {
          gateway: {
            dnsNames: ["api.ashchan.example"],
            ipAddresses: ["10.0.0.5", "fd00::5"],
            peers: ["auth"],
            deploy: { image: "ashchan/gateway:1", port: 8443 },
          },
          auth: { ipAddresses: ["127.0.0.1"] },
          boards: { ipAddresses: ["127.0.0.1"] },
        },
      }),
    );
    expect(config.services.gateway).toMatchObject({
      dnsNames: ["api.ashchan.example"],
      ipAddresses: ["10.0.0.5", "fd00::5"],
      peers: ["auth"],
      deploy: { image: "ashchan/gateway:1", port: 8443 },
    });
  });
});

describe("parseMeshConfig refuses bad config before anything is declared", () => {
  const cases: [string, Record<string, string>, string, RegExp][] = [
    [
      "unknown top-level key",
      ns({ trustDomian: "x.local" }),
      "mesh-pki:trustDomian",
      /known keys|one of: trustDomain/,
    ],
    [
      "nested key written without --path",
      { "mesh-pki:services.gateway.validityDays": "30" },
      "mesh-pki:services.gateway.validityDays",
      /--path/,
    ],
    [
      "unknown key inside a service",
      ns({ services: { gateway: { validity: 30 } } }),
      "mesh-pki:services.gateway",
      /unknown key "validity".*validityDays/,
    ],
    [
      "unknown key inside deploy",
      ns({ services: { gateway: { deploy: { imge: "x" } } } }),
      "mesh-pki:services.gateway.deploy",
      /unknown key "imge".*image, port/,
    ],
    [
      "structured key that is not JSON",
      { "mesh-pki:services": "gateway" },
      "mesh-pki:services",
      /structured value/,
    ],
    [
      "unknown key algorithm",
      ns({ services: { auth: { keyAlgorithm: "rsa-2048" } } }),
      "mesh-pki:services.auth.keyAlgorithm",
      /one of ecdsa-p256/,
    ],
    [
      "unknown CA key algorithm",
      ns({ ca: { keyAlgorithm: "dsa" } }),
      "mesh-pki:ca.keyAlgorithm",
      /unknown key algorithm "dsa"/,
    ],
    [
      "renew-before equal to validity",
      ns({ services: { media: { validityDays: 30, renewBeforeDays: 30 } } }),
      "mesh-pki:services.media.renewBeforeDays",
      /not shorter than the validity/,
    ],
    [
      "renew-before longer than validity via defaults",
      ns({ serviceDefaults: { validityDays: 20, renewBeforeDays: 30 } }),
      "mesh-pki:serviceDefaults.renewBeforeDays",
      /not shorter/,
    ],
    [
      "leaf validity above 398 days",
      ns({ services: { gateway: { validityDays: 400 } } }),
      "mesh-pki:services.gateway.validityDays",
      /398-day ceiling/,
    ],
    [
      "CA validity above 3650 days",
      ns({ ca: { validityDays: 4000 } }),
      "mesh-pki:ca.validityDays",
      /3650-day ceiling/,
    ],
    [
      "intermediate outliving the root",
      ns({ ca: { validityDays: 1000 }, issuer: { mode: "intermediate", validityDays: 2000 } }),
      "mesh-pki:issuer.validityDays",
      /longer than the root/,
    ],
    [
      "intermediate settings in root mode",
      ns({ issuer: { commonName: "x-issuer" } }),
      "mesh-pki:issuer.commonName",
      /only used when issuer.mode is "intermediate"/,
    ],
    [
      "intermediate named like the root",
      ns({ issuer: { mode: "intermediate", commonName: "ashchan-ca" } }),
      "mesh-pki:issuer.commonName",
      /same as the root/,
    ],
    [
      "unknown issuer mode",
      ns({ issuer: { mode: "sub" } }),
      "mesh-pki:issuer.mode",
      /"root".*"intermediate"/,
    ],
    [
      "duplicate SAN across services",
      ns({
        services: { gateway: { dnsNames: ["api.example"] }, auth: { dnsNames: ["api.example"] } },
      }),
      "mesh-pki:services.auth.dnsNames[0]",
      /also a SAN of service "gateway"/,
    ],
    [
      "extra SAN equal to another service's name",
      ns({ services: { gateway: { dnsNames: ["auth.ashchan.local"] }, auth: {} } }),
      "mesh-pki:services.auth",
      /also a SAN of service "gateway"/,
    ],
    [
      "duplicate IP across services",
      ns({
        services: { gateway: { ipAddresses: ["10.0.0.5"] }, auth: { ipAddresses: ["10.0.0.5"] } },
      }),
      "mesh-pki:services.auth.ipAddresses[0]",
      /also a SAN/,
    ],
    [
      "same IPv6 written two ways",
      ns({
        services: {
          gateway: { ipAddresses: ["fd00::1"] },
          auth: { ipAddresses: ["fd00:0:0:0:0:0:0:1"] },
        },
      }),
      "mesh-pki:services.auth.ipAddresses[0]",
      /also a SAN/,
    ],
    [
      "unknown service in a peer list",
      ns({ services: { gateway: { peers: ["payments"] }, auth: {} } }),
      "mesh-pki:services.gateway.peers[0]",
      /unknown service "payments".*gateway, auth/,
    ],
    [
      "service that is its own peer",
      ns({ services: { gateway: { peers: ["gateway"] } } }),
      "mesh-pki:services.gateway.peers[0]",
      /own peer/,
    ],
    [
      "bad IP",
      ns({ services: { gateway: { ipAddresses: ["10.0.0.300"] } } }),
      "mesh-pki:services.gateway.ipAddresses[0]",
      /not an IPv4 or IPv6/,
    ],
    [
      "wildcard SAN",
      ns({ services: { gateway: { dnsNames: ["*.ashchan.local"] } } }),
      "mesh-pki:services.gateway.dnsNames[0]",
      /wildcard/,
    ],
    [
      "SAN that is not a DNS name",
      ns({ services: { gateway: { dnsNames: ["Bad_Name"] } } }),
      "mesh-pki:services.gateway.dnsNames[0]",
      /not a DNS name/,
    ],
    [
      "SAN repeating a default one",
      ns({ services: { gateway: { dnsNames: ["localhost"] } } }),
      "mesh-pki:services.gateway.dnsNames[0]",
      /already in every certificate/,
    ],
    ["empty service name", ns({ services: { "": {} } }), 'mesh-pki:services[""]', /empty/],
    [
      "service name that is not a DNS label",
      ns({ services: { Gate_Way: {} } }),
      "mesh-pki:services.Gate_Way",
      /not a DNS label/,
    ],
    [
      "service named like the CA",
      ns({ services: { "ashchan-ca": {} } }),
      "mesh-pki:services.ashchan-ca",
      /issuer's common name/,
    ],
    ["no services", ns({ services: {} }), "mesh-pki:services", /at least one service/],
    [
      "wildcard trust domain",
      { "mesh-pki:trustDomain": "*.local" },
      "mesh-pki:trustDomain",
      /wildcard/,
    ],
    [
      "trust domain with upper case",
      { "mesh-pki:trustDomain": "Ashchan.Local" },
      "mesh-pki:trustDomain",
      /DNS name/,
    ],
    ["country not two letters", { "mesh-pki:country": "USA" }, "mesh-pki:country", /two-letter/],
    ["TLS 1.2", ns({ tls: { minVersion: "TLSv1.2" } }), "mesh-pki:tls.minVersion", /TLS 1.3 only/],
    [
      "TLS 1.2 cipher in the list",
      ns({ tls: { ciphers: ["ECDHE-RSA-AES128-GCM-SHA256"] } }),
      "mesh-pki:tls.ciphers",
      /cannot be negotiated over TLS 1.3/,
    ],
    [
      "validity not a whole number",
      ns({ services: { gateway: { validityDays: 10.5 } } }),
      "mesh-pki:services.gateway.validityDays",
      /whole number of days/,
    ],
    [
      "validity as a string",
      ns({ services: { gateway: { validityDays: "365" } } }),
      "mesh-pki:services.gateway.validityDays",
      /whole number of days/,
    ],
    [
      "port out of range",
      ns({ services: { gateway: { deploy: { port: 70000 } } } }),
      "mesh-pki:services.gateway.deploy.port",
      /between 1 and 65535/,
    ],
    [
      "renewal window under 5% of validity",
      ns({ ca: { renewBeforeDays: 30 } }),
      "mesh-pki:ca.renewBeforeDays",
      /under 5%/,
    ],
    [
      "services given as a list",
      ns({ services: ["gateway"] }),
      "mesh-pki:services",
      /object of services by name/,
    ],
  ];

  it.each(cases)("%s", (_label, raw, path, message) => {
    const error = problemOf(raw);

    const problem = error.problems.find((p) => p.path === path);
    expect(problem, `problems were: ${error.message}`).toBeDefined();
    expect(problem!.message).toMatch(message);
    expect(error.message).toContain(`${path}: `);
  });

  it("reports every problem in one error", () => {
    const error = problemOf(
      ns({
        services: {
          gateway: { ipAddresses: ["nope"], dnsNames: ["*.x"] },
          auth: { peers: ["ghost"] },
        },
      }),
    );
    expect(error.problems.map((p) => p.path)).toEqual([
      "mesh-pki:services.gateway.dnsNames[0]",
      "mesh-pki:services.gateway.ipAddresses[0]",
      "mesh-pki:services.auth.peers[0]",
    ]);
    expect(error.message.split("\n")[0]).toMatch(/3 problems/);
  });
});

describe("configPath", () => {
  it.each([
    [["trustDomain"], "mesh-pki:trustDomain"],
    [["services", "gateway", "dnsNames", 2], "mesh-pki:services.gateway.dnsNames[2]"],
    [["services", "", "peers"], 'mesh-pki:services[""].peers'],
    [["services", "a.b"], 'mesh-pki:services["a.b"]'],
  ] as const)("%j is %s", (path, expected) => {
    expect(configPath(path)).toBe(expected);
  });
});
