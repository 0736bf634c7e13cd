// Resource ids as the official provider computes them (terraform-provider-tls, internal/provider/common.go,
// hashForState): the hex SHA-1 of the value after Go's strings.TrimSpace. The value is binary DER, so the
// trimming is done on bytes exactly as Go does it, including the Unicode spaces Go recognises when the
// trailing bytes happen to spell one in UTF-8.

import * as crypto from "node:crypto";

const asciiSpaces = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]);

/** UTF-8 encodings of the non-ASCII code points for which Go's unicode.IsSpace is true. */
const unicodeSpaces: readonly Buffer[] = [
  0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
  0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
].map((cp) => Buffer.from(String.fromCodePoint(cp), "utf8"));

function spaceAtStart(b: Buffer, start: number, end: number): number {
  if (asciiSpaces.has(b[start]!)) return 1;
  for (const s of unicodeSpaces) {
    if (end - start >= s.length && b.subarray(start, start + s.length).equals(s)) return s.length;
  }
  return 0;
}

function spaceAtEnd(b: Buffer, start: number, end: number): number {
  if (asciiSpaces.has(b[end - 1]!)) return 1;
  for (const s of unicodeSpaces) {
    if (end - start >= s.length && b.subarray(end - s.length, end).equals(s)) return s.length;
  }
  return 0;
}

/** Go's strings.TrimSpace applied to a byte string. */
export function goTrimSpace(bytes: Uint8Array): Buffer {
  const b = Buffer.from(bytes);
  let start = 0;
  let end = b.length;
  for (let n; start < end && (n = spaceAtStart(b, start, end)) > 0;) start += n;
  for (let n; end > start && (n = spaceAtEnd(b, start, end)) > 0;) end -= n;
  return b.subarray(start, end);
}

export function hashForState(bytes: Uint8Array): string {
  if (bytes.length === 0) return "";
  return crypto.createHash("sha1").update(goTrimSpace(bytes)).digest("hex");
}
