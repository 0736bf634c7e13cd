// Subjects and subject alternative names as Go's crypto/x509 encodes them for the official provider.
//
// A subject is built the way createSubjectDistinguishedNames (common_cert.go) fills a pkix.Name and
// pkix.Name.ToRDNSequence writes it: a fixed attribute order (C, ST, L, street, postal code, O, OU, CN,
// serial number, then the e-mail address), one RDN per attribute type holding all its values, strings as
// PrintableString when they fit and UTF8String otherwise, the e-mail address as IA5String. A certificate
// signed from a request gets the request's subject read into a pkix.Name and written again, which keeps
// only the attribute types pkix.Name has fields for: an e-mail address in a request's subject is dropped.

import * as net from "node:net";
import * as x509 from "@peculiar/x509";
import { Subject } from "./schema";

/** The fields of Go's pkix.Name that ToRDNSequence writes, in its order. */
export interface GoName {
  country: string[];
  province: string[];
  locality: string[];
  streetAddress: string[];
  postalCode: string[];
  organization: string[];
  organizationalUnit: string[];
  commonName: string;
  serialNumber: string;
  emailAddress?: string;
  /** Whether any attribute was set at all: Go compares the whole pkix.Name with the zero value. */
  anySet: boolean;
}

const oids = {
  country: "2.5.4.6",
  province: "2.5.4.8",
  locality: "2.5.4.7",
  streetAddress: "2.5.4.9",
  postalCode: "2.5.4.17",
  organization: "2.5.4.10",
  organizationalUnit: "2.5.4.11",
  commonName: "2.5.4.3",
  serialNumber: "2.5.4.5",
  emailAddress: "1.2.840.113549.1.9.1",
} as const;

function emptyName(): GoName {
  return {
    country: [],
    province: [],
    locality: [],
    streetAddress: [],
    postalCode: [],
    organization: [],
    organizationalUnit: [],
    commonName: "",
    serialNumber: "",
    anySet: false,
  };
}

/** The pkix.Name createSubjectDistinguishedNames builds from the subject input. */
export function nameFromSubject(subject: Subject | undefined): GoName {
  const name = emptyName();
  if (!subject) return name;
  const one = (v: string | undefined) => (v === undefined || v === null ? [] : [v]);
  name.organization = one(subject.organization);
  name.organizationalUnit = one(subject.organizationalUnit);
  name.streetAddress = subject.streetAddresses ?? [];
  name.locality = one(subject.locality);
  name.province = one(subject.province);
  name.country = one(subject.country);
  name.postalCode = one(subject.postalCode);
  name.commonName = subject.commonName ?? "";
  name.serialNumber = subject.serialNumber ?? "";
  if (subject.emailAddress !== undefined && subject.emailAddress !== null) {
    name.emailAddress = subject.emailAddress;
  }
  name.anySet = Object.entries(subject).some(
    ([key, v]) =>
      v !== undefined &&
      v !== null &&
      !((key === "commonName" || key === "serialNumber") && v === ""),
  );
  return name;
}

/** The pkix.Name Go's parser fills from an encoded name (FillFromRDNSequence). */
export function nameFromDer(der: ArrayBuffer | Uint8Array): GoName {
  const parsed = new x509.Name(der instanceof Uint8Array ? new Uint8Array(der) : der);
  const name = emptyName();
  name.country = parsed.getField(oids.country);
  name.province = parsed.getField(oids.province);
  name.locality = parsed.getField(oids.locality);
  name.streetAddress = parsed.getField(oids.streetAddress);
  name.postalCode = parsed.getField(oids.postalCode);
  name.organization = parsed.getField(oids.organization);
  name.organizationalUnit = parsed.getField(oids.organizationalUnit);
  name.commonName = parsed.getField(oids.commonName).at(-1) ?? "";
  name.serialNumber = parsed.getField(oids.serialNumber).at(-1) ?? "";
  name.anySet = parsed.toJSON().some((rdn) => Object.keys(rdn).length > 0);
  return name;
}

/** Go's asn1 rule for an untyped string: PrintableString when every character allows it. */
export function isPrintable(value: string): boolean {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value);
}

function directoryString(value: string) {
  return isPrintable(value) ? { printableString: value } : { utf8String: value };
}

/** The DER of the name as pkix.Name.ToRDNSequence writes it. */
export function encodeName(name: GoName): ArrayBuffer {
  const rdns: x509.JsonName = [];
  const add = (oid: string, values: string[]) => {
    if (values.length > 0) rdns.push({ [oid]: values.map(directoryString) } as never);
  };
  add(oids.country, name.country);
  add(oids.province, name.province);
  add(oids.locality, name.locality);
  add(oids.streetAddress, name.streetAddress);
  add(oids.postalCode, name.postalCode);
  add(oids.organization, name.organization);
  add(oids.organizationalUnit, name.organizationalUnit);
  if (name.commonName) add(oids.commonName, [name.commonName]);
  if (name.serialNumber) add(oids.serialNumber, [name.serialNumber]);
  if (name.emailAddress !== undefined) {
    rdns.push({ [oids.emailAddress]: [{ ia5String: name.emailAddress }] } as never);
  }
  return new x509.Name(rdns).toArrayBuffer();
}

export interface AltNames {
  readonly dnsNames: string[];
  readonly ipAddresses: string[];
  readonly uris: string[];
}

export class NameError extends Error {}

const isIa5 = (s: string) => /^[\x00-\x7f]*$/.test(s);

/** Validates and normalises SANs as Go's net.ParseIP, url.Parse and marshalSANs would. */
export function normaliseAltNames(names: AltNames): AltNames {
  for (const dns of names.dnsNames) {
    if (!isIa5(dns)) throw new NameError(`x509: "${dns}" cannot be encoded as an IA5String`);
  }
  const ipAddresses = names.ipAddresses.map((ip) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    const candidate = mapped ? mapped[1]! : ip;
    if (net.isIP(candidate) === 0)
      throw new NameError(`Invalid IP address: Failed to parse "${ip}"`);
    return candidate;
  });
  for (const uri of names.uris) {
    if (!isIa5(uri) || /[\x00-\x20\x7f]/.test(uri) || uri.startsWith(":")) {
      throw new NameError(`Invalid URI: Failed to parse "${uri}"`);
    }
  }
  return { dnsNames: names.dnsNames, ipAddresses, uris: names.uris };
}

/** The SAN extension in Go's order (DNS names, IP addresses, URIs), or undefined when there are none. */
export function altNamesExtension(names: AltNames, critical: boolean) {
  const json: x509.JsonGeneralNames = [
    ...names.dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...names.ipAddresses.map((value) => ({ type: "ip" as const, value })),
    ...names.uris.map((value) => ({ type: "url" as const, value })),
  ];
  if (json.length === 0) return undefined;
  return new x509.SubjectAlternativeNameExtension(json, critical);
}

/** The SANs of a request, as Go's ParseCertificateRequest sorts them into DNS names, IPs and URIs. */
export function altNamesFromExtension(ext: x509.SubjectAlternativeNameExtension | null): AltNames {
  const names: AltNames = { dnsNames: [], ipAddresses: [], uris: [] };
  for (const item of ext?.names.items ?? []) {
    if (item.type === "dns") names.dnsNames.push(item.value);
    else if (item.type === "ip") names.ipAddresses.push(item.value);
    else if (item.type === "url") names.uris.push(item.value);
  }
  return names;
}
