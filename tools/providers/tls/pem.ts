// PEM as Go's encoding/pem reads and writes it, which is what the official provider's outputs are made of:
// the first block found in the text is taken, and blocks are written with 64-character lines and a
// trailing newline.

export interface PemBlock {
  readonly type: string;
  readonly headers: boolean;
  readonly bytes: Buffer;
}

const blockPattern =
  /-----BEGIN ([A-Z0-9 ]+)-----\r?\n((?:[A-Za-z0-9-]+: [^\n]*\r?\n)*)\r?\n?([\s\S]*?)-----END \1-----/;

/** The first PEM block in `text`, or undefined when there is none. */
export function decodePem(text: string): PemBlock | undefined {
  const match = blockPattern.exec(text);
  if (!match) return undefined;
  const body = match[3]!.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return undefined;
  return { type: match[1]!, headers: match[2]!.length > 0, bytes: Buffer.from(body, "base64") };
}

export function encodePem(type: string, bytes: Uint8Array): string {
  const base64 = Buffer.from(bytes).toString("base64");
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.map((l) => `${l}\n`).join("")}-----END ${type}-----\n`;
}
