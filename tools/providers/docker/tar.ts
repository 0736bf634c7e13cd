// A minimal ustar writer for the uploads: regular files with their mode, and their parent directories.

export interface TarFile {
  /** Absolute path in the container. */
  path: string;
  content: Buffer;
  mode: number;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function header(name: string, size: number, mode: number, type: "0" | "5"): Buffer {
  if (Buffer.byteLength(name) > 100)
    throw new Error(`upload path ${name} is longer than 100 bytes`);
  const block = Buffer.alloc(512);
  block.write(name, 0, "utf8");
  block.write(octal(mode, 8), 100);
  block.write(octal(0, 8), 108);
  block.write(octal(0, 8), 116);
  block.write(octal(size, 12), 124);
  block.write(octal(0, 12), 136);
  block.write("        ", 148);
  block.write(type, 156);
  block.write("ustar\0", 257);
  block.write("00", 263);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + " ", 148);
  return block;
}

/** The archive for Docker's PUT /containers/{id}/archive with path "/". */
export function tarOf(files: readonly TarFile[]): Buffer {
  const parts: Buffer[] = [];
  const dirs = new Set<string>();
  for (const file of files) {
    const relative = file.path.replace(/^\/+/, "");
    const segments = relative.split("/").slice(0, -1);
    for (let i = 1; i <= segments.length; i++) {
      const dir = segments.slice(0, i).join("/") + "/";
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      parts.push(header(dir, 0, 0o755, "5"));
    }
    parts.push(header(relative, file.content.length, file.mode, "0"));
    parts.push(file.content);
    const pad = (512 - (file.content.length % 512)) % 512;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
