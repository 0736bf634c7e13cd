/**
 * The subject alternative names of a service identity, as the design fixes them. Pure: no Pulumi.
 */

/** The names every service identity carries besides its own: the host itself. */
export const LOCAL_DNS_NAME = "localhost";

/** The SPIFFE ID of a service: `spiffe://<trust domain>/service/<name>`. */
export function spiffeId(trustDomain: string, serviceName: string): string {
  return `spiffe://${trustDomain}/service/${serviceName}`;
}

/** The DNS names a service gets without any config: its name, `localhost`, `<name>.<trust domain>`. */
export function defaultDnsNames(trustDomain: string, serviceName: string): string[] {
  return [serviceName, LOCAL_DNS_NAME, `${serviceName}.${trustDomain}`];
}

export interface ServiceSanInput {
  /** The service name: a DNS label, also the subject CN. */
  serviceName: string;
  /** The SPIFFE trust domain, also the DNS suffix of the service's qualified name. */
  trustDomain: string;
  /** DNS names from config, added after the defaults. @default [] */
  extraDnsNames?: readonly string[];
  /** IP addresses from config. @default [] */
  ipAddresses?: readonly string[];
}

export interface ServiceSans {
  dnsNames: string[];
  ipAddresses: string[];
  uris: string[];
}

/**
 * The SAN list of one service: the default DNS names first, then the extra ones in config order, each
 * once (a name given twice would only make the certificate longer); configured IPs; the SPIFFE URI.
 */
export function serviceSans(input: ServiceSanInput): ServiceSans {
  const dnsNames = unique([
    ...defaultDnsNames(input.trustDomain, input.serviceName),
    ...(input.extraDnsNames ?? []),
  ]);
  return {
    dnsNames,
    ipAddresses: unique([...(input.ipAddresses ?? [])]),
    uris: [spiffeId(input.trustDomain, input.serviceName)],
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
