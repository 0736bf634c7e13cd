// OpenSSH encodings of a key as golang.org/x/crypto/ssh writes them, which is what the official provider
// puts in public_key_openssh, the fingerprints and private_key_openssh: the SSH wire format (RFC 4251
// strings and mpints, RFC 4253/5656/8709 key blobs) and the "openssh-key-v1" private key container.
// ECDSA P-224 has no SSH encoding, so those outputs are empty strings, as upstream.

import * as crypto from "node:crypto";
import { ecPublicPoint, ParsedKey } from "./keys";
import { encodePem } from "./pem";

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  return Buffer.concat([uint32(bytes.length), bytes]);
}

/** An unsigned big-endian integer as an SSH mpint: minimal, with a zero byte when the top bit is set. */
export function sshMpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length && unsigned[i] === 0) i++;
  let bytes = unsigned.subarray(i);
  if (bytes.length > 0 && bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return sshString(bytes);
}

const b64url = (s: string | undefined) => Buffer.from(s ?? "", "base64url");

const ecdsaNames: Record<string, string> = { P256: "nistp256", P384: "nistp384", P521: "nistp521" };

/** The SSH public key blob, or undefined for a key SSH cannot express (ECDSA P-224). */
export function publicKeyBlob(parsed: ParsedKey): Buffer | undefined {
  if (parsed.algorithm === "ECDSA" && !ecdsaNames[parsed.curve!]) return undefined;
  const jwk = parsed.key.export({ format: "jwk" });
  switch (parsed.algorithm) {
    case "RSA":
      return Buffer.concat([
        sshString("ssh-rsa"),
        sshMpint(b64url(jwk.e)),
        sshMpint(b64url(jwk.n)),
      ]);
    case "ED25519":
      return Buffer.concat([sshString("ssh-ed25519"), sshString(b64url(jwk.x))]);
    case "ECDSA": {
      const curve = ecdsaNames[parsed.curve!]!;
      return Buffer.concat([
        sshString(`ecdsa-sha2-${curve}`),
        sshString(curve),
        sshString(ecPublicPoint(parsed)),
      ]);
    }
  }
}

function keyType(blob: Buffer): string {
  return blob.subarray(4, 4 + blob.readUInt32BE(0)).toString("utf8");
}

export interface OpensshPublic {
  readonly authorizedKey: string;
  readonly fingerprintMd5: string;
  readonly fingerprintSha256: string;
}

export function opensshPublic(parsed: ParsedKey): OpensshPublic {
  const blob = publicKeyBlob(parsed);
  if (!blob) return { authorizedKey: "", fingerprintMd5: "", fingerprintSha256: "" };
  const md5 = crypto.createHash("md5").update(blob).digest("hex");
  return {
    authorizedKey: `${keyType(blob)} ${blob.toString("base64")}\n`,
    fingerprintMd5: md5.match(/../g)!.join(":"),
    fingerprintSha256: `SHA256:${crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`,
  };
}

/** The unencrypted "OPENSSH PRIVATE KEY" PEM, or "" for a key SSH cannot express. */
export function opensshPrivateKeyPem(parsed: ParsedKey): string {
  const blob = publicKeyBlob(parsed);
  if (!blob) return "";
  const jwk = parsed.key.export({ format: "jwk" });

  let rest: Buffer;
  switch (parsed.algorithm) {
    case "RSA":
      rest = Buffer.concat(
        [jwk.n, jwk.e, jwk.d, jwk.qi, jwk.p, jwk.q].map((v) => sshMpint(b64url(v))),
      );
      break;
    case "ED25519": {
      const pub = b64url(jwk.x);
      rest = Buffer.concat([sshString(pub), sshString(Buffer.concat([b64url(jwk.d), pub]))]);
      break;
    }
    case "ECDSA":
      rest = Buffer.concat([
        sshString(ecdsaNames[parsed.curve!]!),
        sshString(ecPublicPoint(parsed)),
        sshMpint(b64url(jwk.d)),
      ]);
      break;
  }

  const check = crypto.randomBytes(4);
  let section = Buffer.concat([check, check, sshString(keyType(blob)), rest, sshString("")]);
  const padding: number[] = [];
  for (let i = 0; (section.length + i) % 8 !== 0; i++) padding.push(i + 1);
  section = Buffer.concat([section, Buffer.from(padding)]);

  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0", "latin1"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    uint32(1),
    sshString(blob),
    sshString(section),
  ]);
  return encodePem("OPENSSH PRIVATE KEY", body);
}
