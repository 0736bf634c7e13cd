/** Reading the tls provider's certificate and request properties. */
import { at, bool, isUnknown, num, str, type Plain, Unknown } from "./known";
import { strings } from "./policy";

/** Whether a certificate is a CA; the provider's default is false. */
export function isCa(props: Plain): boolean | Unknown {
  return bool(props.isCaCertificate) ?? false;
}

export function validityHours(props: Plain): number | Unknown | undefined {
  return num(props.validityPeriodHours);
}

/** `allowedUses` as strings, and whether any part of it is unknown. */
export function usages(props: Plain): { known: string[]; unknown: boolean } {
  return strings(props.allowedUses);
}

/** The subject alternative names of a self-signed certificate or a certificate request. */
export function sans(props: Plain): {
  dns: string[];
  ip: string[];
  uri: string[];
  unknown: boolean;
} {
  const dns = strings(props.dnsNames);
  const ip = strings(props.ipAddresses);
  const uri = strings(props.uris);
  return {
    dns: dns.known,
    ip: ip.known,
    uri: uri.known,
    unknown: dns.unknown || ip.unknown || uri.unknown,
  };
}

export function commonName(props: Plain): string | Unknown | undefined {
  const cn = at(props, "subject", "commonName");
  return isUnknown(cn) ? cn : str(cn);
}
