/** PEM files and openssl runs for end-to-end checks: temporary files, bounded commands. */
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface OpensslResult {
  ok: boolean;
  output: string;
}

/** Runs openssl with the given arguments; never throws on a non-zero exit, returns it as `ok: false`. */
export async function openssl(args: string[], input?: string): Promise<OpensslResult> {
  try {
    const child = run("openssl", args, { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 });
    if (input !== undefined) child.child.stdin?.end(input);
    const { stdout, stderr } = await child;
    return { ok: true, output: stdout + stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: (err.stdout ?? "") + (err.stderr ?? err.message) };
  }
}

/** A temporary directory for PEM files; `remove()` deletes it. */
export class PemDir {
  private constructor(readonly dir: string) {}

  static async create(label: string): Promise<PemDir> {
    return new PemDir(await fs.mkdtemp(path.join(os.tmpdir(), `mesh-pki-${label}-`)));
  }

  async write(name: string, content: string, mode = 0o600): Promise<string> {
    const file = path.join(this.dir, name);
    await fs.writeFile(file, content, { mode });
    return file;
  }

  async remove(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

/** The PEM blocks of a bundle, in order. */
export function pemBlocks(bundle: string): string[] {
  return bundle.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----\n?/g) ?? [];
}
