/**
 * Checks that span config keys (windows against ceilings and each other, SANs across services, names
 * against issuers, peer lists). Pure: no Pulumi.
 */
import { isIP } from "node:net";
import {
  HOURS_PER_DAY,
  deadCiphersForTls13,
  isDnsLabel,
  isDnsName,
  isHostLocalSan,
  isWildcard,
  renewalProblem,
} from "../rules/tls";
import { alertRuleGroups } from "./alerts";
import { ParsedConfig } from "./configSchema";
import {
  ConfigProblem,
  IssuerConfig,
  MeshConfig,
  ServiceConfig,
  WINDOW_FIELDS,
  resolveConfig,
  sourceOf,
} from "./configResolve";
import { hostPortProblems } from "./deploy/dockerPorts";
import { defaultDnsNames } from "./sans";

function windowProblem(
  days: { validityDays: number; renewBeforeDays: number },
  path: (string | number)[],
): ConfigProblem | undefined {
  const problem = renewalProblem(
    days.validityDays * HOURS_PER_DAY,
    days.renewBeforeDays * HOURS_PER_DAY,
  );
  return problem === undefined
    ? undefined
    : {
        path,
        message: `${problem} (renew-before ${days.renewBeforeDays} d, validity ${days.validityDays} d); set a renew-before shorter than the validity and at least 5% of it`,
      };
}

/** Canonical text of an IP address, so `::1` and `0:0:0:0:0:0:0:1` count as the same SAN. */
function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

function issuerProblems(config: ParsedConfig, issuer: IssuerConfig): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const ca = config.ca;
  const caWindow = windowProblem(ca, ["ca", "renewBeforeDays"]);
  if (caWindow) out.push(caWindow);

  if (issuer.mode === "root") {
    for (const field of ["commonName", ...WINDOW_FIELDS] as const) {
      if (config.issuer[field] !== undefined) {
        out.push({
          path: ["issuer", field],
          message: `is only used when issuer.mode is "intermediate"; set mode to "intermediate" or remove ${field}`,
        });
      }
    }
    return out;
  }

  if (issuer.commonName === ca.commonName) {
    out.push({
      path: ["issuer", "commonName"],
      message: `is the same as the root's common name "${ca.commonName}"; the intermediate needs a subject of its own, set another name`,
    });
  }
  if (issuer.validityDays > ca.validityDays) {
    out.push({
      path: ["issuer", "validityDays"],
      message: `${issuer.validityDays} days is longer than the root's ${ca.validityDays}; set it to ${ca.validityDays} or less`,
    });
  }
  const w = windowProblem(issuer, [
    "issuer",
    config.issuer.renewBeforeDays !== undefined ? "renewBeforeDays" : "validityDays",
  ]);
  if (w) out.push(w);
  return out;
}

function serviceProblems(
  config: ParsedConfig,
  issuer: IssuerConfig,
  name: string,
  service: ServiceConfig,
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const at = (...rest: (string | number)[]) => ["services", name, ...rest];

  if (!isDnsLabel(name)) {
    out.push({
      path: ["services", name],
      message:
        name === ""
          ? "a service name is empty; give the service a name"
          : `service name "${name}" is not a DNS label (lower-case letters, digits and inner hyphens, at most 63); rename it`,
    });
    return out;
  }
  const issuerNames = [
    config.ca.commonName,
    issuer.mode === "intermediate" ? issuer.commonName : "",
  ];
  if (issuerNames.includes(name)) {
    out.push({
      path: ["services", name],
      message: `service name "${name}" is also an issuer's common name, so its subject would equal its issuer's; rename the service or the CA`,
    });
  }

  // A service that sets neither window inherits serviceDefaults, whose problem is reported once there.
  const own = config.services[name];
  const hourProblems = serviceHourProblems(own, service, at);
  out.push(...hourProblems);
  if (
    hourProblems.length === 0 &&
    (own.renewBeforeDays !== undefined || own.validityDays !== undefined)
  ) {
    const w = windowProblem(
      service,
      at(own.renewBeforeDays !== undefined ? "renewBeforeDays" : "validityDays"),
    );
    if (w) out.push(w);
  }
  const issuerDays = issuer.mode === "intermediate" ? issuer.validityDays : config.ca.validityDays;
  if (service.validityDays > issuerDays) {
    out.push({
      path: sourceOf(config, name, "validityDays"),
      message: `${service.validityDays} days outlives its issuer's ${issuerDays}; set ${issuerDays} or less`,
    });
  }

  const defaults = defaultDnsNames(config.trustDomain, name);
  service.dnsNames.forEach((dns, i) => {
    if (isWildcard(dns)) {
      out.push({
        path: at("dnsNames", i),
        message: `wildcard "${dns}" is not allowed: an identity names one service; list the exact names`,
      });
    } else if (!isDnsName(dns)) {
      out.push({
        path: at("dnsNames", i),
        message: `"${dns}" is not a DNS name of lower-case labels; fix or remove it`,
      });
    } else if (defaults.includes(dns)) {
      out.push({
        path: at("dnsNames", i),
        message: `"${dns}" is already in every certificate of this service; remove it`,
      });
    }
  });
  service.ipAddresses.forEach((ip, i) => {
    if (isIP(ip) === 0) {
      out.push({
        path: at("ipAddresses", i),
        message: `"${ip}" is not an IPv4 or IPv6 address; fix or remove it`,
      });
    }
  });

  service.peers.forEach((peer, i) => {
    if (!(peer in config.services)) {
      out.push({
        path: at("peers", i),
        message: `unknown service "${peer}"; the services are: ${Object.keys(config.services).join(", ")}`,
      });
    } else if (peer === name) {
      out.push({ path: at("peers", i), message: "a service is not its own peer; remove it" });
    }
  });
  return out;
}

/** Windows set in hours: not together with the same window in days, and sound once resolved. */
function serviceHourProblems(
  own: ParsedConfig["services"][string],
  service: ServiceConfig,
  at: (...rest: (string | number)[]) => (string | number)[],
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const [hours, days] of [
    ["validityHours", "validityDays"],
    ["renewBeforeHours", "renewBeforeDays"],
  ] as const) {
    if (own[hours] !== undefined && own[days] !== undefined) {
      out.push({ path: at(hours), message: `set either ${hours} or ${days}, not both` });
    }
  }
  if (out.length > 0 || (own.validityHours === undefined && own.renewBeforeHours === undefined)) {
    return out;
  }
  const problem = renewalProblem(service.validityHours, service.renewBeforeHours);
  if (problem !== undefined) {
    out.push({
      path: at(own.renewBeforeHours !== undefined ? "renewBeforeHours" : "validityHours"),
      message: `${problem}; set a renew-before shorter than the validity and at least 5% of it`,
    });
  }
  return out;
}

/** SANs that two services both claim, except the host-local ones every service may carry. */
function sharedSanProblems(config: MeshConfig): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const owner = new Map<string, string>();
  for (const [name, service] of Object.entries(config.services)) {
    const sans = [
      ...defaultDnsNames(config.trustDomain, name).map((v) => ({
        v,
        path: [] as (string | number)[],
      })),
      ...service.dnsNames.map((v, i) => ({ v, path: ["dnsNames", i] })),
      ...service.ipAddresses
        .filter((ip) => isIP(ip) !== 0)
        .map((v, i) => ({ v: canonicalIp(v), path: ["ipAddresses", i] })),
    ];
    for (const { v, path } of sans) {
      if (isHostLocalSan(v)) continue;
      const first = owner.get(v);
      if (first !== undefined && first !== name) {
        out.push({
          path: path.length > 0 ? ["services", name, ...path] : ["services", name],
          message: `SAN "${v}" is also a SAN of service "${first}"; a name must identify one service, remove one of them`,
        });
      } else {
        owner.set(v, name);
      }
    }
  }
  return out;
}

function tlsProblems(config: ParsedConfig): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (config.tls.minVersion !== "TLSv1.3") {
    out.push({
      path: ["tls", "minVersion"],
      message: `${config.tls.minVersion} is not allowed: the mesh speaks TLS 1.3 only; set TLSv1.3`,
    });
  }
  const dead = deadCiphersForTls13(config.tls.ciphers.join(":"));
  if (dead.length > 0) {
    out.push({
      path: ["tls", "ciphers"],
      message: `${dead.join(", ")} cannot be negotiated over TLS 1.3; use TLS 1.3 suites such as TLS_AES_256_GCM_SHA384`,
    });
  }
  return out;
}

/** Every cross-key problem of a config that passed the per-key schema; empty when it is sound. */
export function configProblems(config: ParsedConfig): ConfigProblem[] {
  const names = Object.keys(config.services);
  if (names.length === 0) {
    return [{ path: ["services"], message: "no services; list at least one service" }];
  }
  const resolved = resolveConfig(config);
  const serviceIssues = names.flatMap((n) =>
    serviceProblems(config, resolved.issuer, n, resolved.services[n]),
  );
  const defaults = windowProblem(config.serviceDefaults, ["serviceDefaults", "renewBeforeDays"]);

  return [
    ...tlsProblems(config),
    ...issuerProblems(config, resolved.issuer),
    ...(defaults ? [defaults] : []),
    ...serviceIssues,
    ...(serviceIssues.length === 0 ? sharedSanProblems(resolved) : []),
    ...(serviceIssues.length === 0 ? alertProblems(resolved) : []),
    ...dockerPortProblems(config),
  ];
}

/** For the docker target: every service's host port and Prometheus's, one each (see dockerPorts.ts). */
function dockerPortProblems(config: ParsedConfig): ConfigProblem[] {
  if (config.deploy.target !== "docker") return [];
  const services = Object.entries(config.services).map(([name, s]) => ({
    name,
    hostPort: s.deploy.hostPort,
  }));
  return hostPortProblems(services, config.deploy);
}

/** The alert thresholds against every service's windows, as the rule generator will check them. */
function alertProblems(config: MeshConfig): ConfigProblem[] {
  const windows = Object.values(config.services).map((s) => ({
    name: s.name,
    validityDays: s.validityDays,
    renewBeforeDays: s.renewBeforeDays,
  }));
  try {
    alertRuleGroups(windows, config.alerts);
    return [];
  } catch (e) {
    return [{ path: ["alerts"], message: (e as Error).message }];
  }
}
