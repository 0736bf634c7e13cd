/**
 * What `openssl x509 -text -noout` says about a certificate, parsed into the fields end-to-end tests
 * assert: an independent reading of the extensions (Node's X509Certificate does not expose key usage,
 * basic constraints or key identifiers).
 */
import { openssl, PemDir } from "./pem";

export interface OpensslExtension {
  critical: boolean;
  /** The value lines, joined with a space. */
  value: string;
}

export interface OpensslCertificate {
  /** The whole `-text` output. */
  text: string;
  subject: string;
  issuer: string;
  signatureAlgorithm: string;
  /** Extensions by openssl's name without the `X509v3 ` prefix, e.g. `Basic Constraints`. */
  extensions: Record<string, OpensslExtension>;
}

/** Parses the `X509v3 extensions:` block: a header line per extension, its value indented below. */
export function parseOpensslText(text: string): OpensslCertificate {
  const lines = text.split("\n");
  const field = (name: string) =>
    lines
      .find((l) => l.trimStart().startsWith(`${name}:`))
      ?.trim()
      .slice(name.length + 1)
      .trim() ?? "";

  const extensions: Record<string, OpensslExtension> = {};
  const start = lines.findIndex((l) => l.trim() === "X509v3 extensions:");
  if (start >= 0) {
    const headerIndent = lines[start + 1].search(/\S/);
    let current: OpensslExtension | undefined;
    for (const line of lines.slice(start + 1)) {
      const indent = line.search(/\S/);
      if (indent < headerIndent) break;
      if (indent === headerIndent) {
        const match = /^(?:X509v3 )?(.+?):\s*(critical)?\s*$/.exec(line.trim());
        if (!match) break;
        current = { critical: match[2] === "critical", value: "" };
        extensions[match[1]] = current;
      } else if (current) {
        current.value = [current.value, line.trim()].filter((v) => v !== "").join(" ");
      }
    }
  }
  return {
    text,
    subject: field("Subject"),
    issuer: field("Issuer"),
    signatureAlgorithm: field("Signature Algorithm"),
    extensions,
  };
}

/** Runs `openssl x509 -text -noout` on a PEM certificate and parses the result. */
export async function opensslText(pems: PemDir, name: string, pem: string) {
  const file = await pems.write(`${name}.text.pem`, pem);
  const result = await openssl(["x509", "-in", file, "-text", "-noout"]);
  if (!result.ok) throw new Error(`openssl x509 -text failed for ${name}: ${result.output}`);
  return parseOpensslText(result.output);
}

/** The comma-separated items of an extension's value, e.g. key usages or SANs. */
export function items(extension: OpensslExtension | undefined): string[] {
  return (extension?.value ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/** A key identifier as openssl prints it (`AB:CD:...`, older versions prefix `keyid:`). */
export function keyId(extension: OpensslExtension | undefined): string | undefined {
  return extension?.value.replace(/^keyid:/, "").trim();
}
