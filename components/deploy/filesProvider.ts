/**
 * A dynamic provider that owns a set of files on the machine running `pulumi up`: each is written
 * atomically (a temporary file in the same directory, fsync, rename) with its mode, rewritten when its
 * content or mode changes, and removed on delete. State keeps only each file's path, mode and SHA-256, never
 * its content, so a private key written here never reaches a plain output.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

export interface FileSpec {
  /** Path relative to the set's directory. */
  path: string;
  content: string;
  /** Permission bits, e.g. 0o600 for a private key. */
  mode: number;
}

export interface FileSetInputs {
  /** Absolute directory the paths are relative to. */
  directory: string;
  files: FileSpec[];
}

export interface WrittenFile {
  path: string;
  mode: number;
  sha256: string;
}

export interface FileSetOutputs {
  directory: string;
  written: WrittenFile[];
}

function digest(content: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("node:crypto").createHash("sha256").update(content).digest("hex");
}

function describe(inputs: FileSetInputs): WrittenFile[] {
  return inputs.files.map((f) => ({ path: f.path, mode: f.mode, sha256: digest(f.content) }));
}

function writeAtomically(directory: string, file: FileSpec): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const fs = require("node:fs");
  const path = require("node:path");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const target = path.join(directory, file.path);
  fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
  const temporary = `${target}.tmp-${process.pid}-${Date.now()}`;
  // Created with the final mode, so a key is never readable by others, not even for a moment.
  const fd = fs.openSync(temporary, "wx", file.mode);
  try {
    try {
      fs.writeFileSync(fd, file.content);
      fs.fchmodSync(fd, file.mode);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, target);
  } catch (err) {
    fs.rmSync(temporary, { force: true });
    throw err;
  }
}

/** Removes files, then each directory they leave empty, up to (not including) the set's directory. */
function removeFiles(directory: string, paths: string[]): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const fs = require("node:fs");
  const path = require("node:path");
  /* eslint-enable @typescript-eslint/no-require-imports */
  for (const relative of paths) {
    fs.rmSync(path.join(directory, relative), { force: true });
    let parent = path.dirname(path.join(directory, relative));
    while (parent.startsWith(directory) && parent !== directory) {
      try {
        fs.rmdirSync(parent);
      } catch {
        break;
      }
      parent = path.dirname(parent);
    }
  }
  try {
    fs.rmdirSync(directory);
  } catch {
    // The directory holds files of other sets (or of the user): leave it.
  }
}

function validate(inputs: FileSetInputs): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  if (!inputs.directory || !inputs.directory.startsWith("/")) {
    failures.push({ property: "directory", reason: "directory must be an absolute path" });
  }
  // In a preview the list, or a path in it, may be unknown (a rotated certificate): nothing to check yet.
  for (const f of Array.isArray(inputs.files) ? inputs.files : []) {
    if (typeof f?.path !== "string") continue;
    if (f.path.startsWith("/") || f.path.split("/").includes("..")) {
      failures.push({
        property: "files",
        reason: `file path ${f.path} must stay inside the directory`,
      });
    }
  }
  return failures;
}

/**
 * What the dynamic provider does. The engine stores a resource's provider as code in its state, so this
 * object is not what FileSet resources carry: see `fileSetProvider` below.
 */
export const fileSetImplementation: pulumi.dynamic.ResourceProvider<FileSetInputs, FileSetOutputs> =
  {
    async check(_olds, news) {
      return { inputs: news, failures: validate(news) };
    },

    async create(inputs) {
      for (const file of inputs.files) writeAtomically(inputs.directory, file);
      return {
        id: inputs.directory,
        outs: { directory: inputs.directory, written: describe(inputs) },
      };
    },

    async diff(_id, olds, news) {
      if (olds.directory !== news.directory) return { changes: true, replaces: ["directory"] };
      // Unknown contents in a preview (a certificate that is being replaced) are a change.
      if (!Array.isArray(news.files) || news.files.some((f) => typeof f?.content !== "string")) {
        return { changes: true };
      }
      // State returns each object with its keys sorted, so compare a canonical line per file.
      const canonical = (files: WrittenFile[]) =>
        files.map((f) => `${f.path} ${f.mode} ${f.sha256}`).join("\n");
      return { changes: canonical(olds.written ?? []) !== canonical(describe(news)) };
    },

    async update(_id, olds, news) {
      for (const file of news.files) writeAtomically(news.directory, file);
      const kept = new Set(news.files.map((f) => f.path));
      removeFiles(
        news.directory,
        (olds.written ?? []).map((f) => f.path).filter((p) => !kept.has(p)),
      );
      return { outs: { directory: news.directory, written: describe(news) } };
    },

    async delete(_id, props) {
      removeFiles(
        props.directory,
        (props.written ?? []).map((f) => f.path),
      );
    },

    // A refresh sees a file that was changed or removed by hand as drift, and the next `up` rewrites it.
    async read(id, props) {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const fs = require("node:fs");
      const path = require("node:path");
      /* eslint-enable @typescript-eslint/no-require-imports */
      const written = (props?.written ?? []).map((f: WrittenFile) => {
        const target = path.join(props!.directory, f.path);
        if (!fs.existsSync(target)) return { ...f, sha256: "missing" };
        const stat = fs.statSync(target);
        return {
          path: f.path,
          mode: stat.mode & 0o777,
          sha256: digest(fs.readFileSync(target, "utf8")),
        };
      });
      return { id, props: { directory: props!.directory, written } };
    },
  };

/** This module, compiled: absolute in the checkout that ran the program, and from the project directory. */
const implementationFile = __filename;
const implementationFromProject = fromProjectDirectory(__filename);

function fromProjectDirectory(file: string): string {
  for (let dir = path.dirname(file); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return path.relative(dir, file);
  }
  return path.basename(file);
}

/**
 * Loads `fileSetImplementation` from the compiled module. From the checkout that wrote the state when it is
 * still there, otherwise from the same place under the project directory the provider runs in (another
 * checkout of the project, on another machine of the team).
 */
function implementation(): pulumi.dynamic.ResourceProvider<FileSetInputs, FileSetOutputs> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const fs = require("node:fs");
  const path = require("node:path");
  /* eslint-enable @typescript-eslint/no-require-imports */
  let file = implementationFile;
  for (let dir = process.cwd(); !fs.existsSync(file); dir = path.dirname(dir)) {
    file = path.join(dir, implementationFromProject);
    if (path.dirname(dir) === dir) break;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file).fileSetImplementation;
}

/**
 * The provider FileSet resources carry. The engine serialises a dynamic provider's code into the state of
 * every resource it manages, twice (inputs and outputs), and rewrites the whole state after each step: the
 * implementation above serialised is 8 KB a resource, 3.2 MB of a 200-service mesh's state, rewritten some
 * 2,000 times in its first `up`. This one only loads the compiled implementation (well under 1 KB).
 * Changing it never replaces a FileSet: the dynamic provider's diff delegates to the new code.
 */
export const fileSetProvider: pulumi.dynamic.ResourceProvider<FileSetInputs, FileSetOutputs> = {
  check: (olds, news) => implementation().check!(olds, news),
  create: (inputs) => implementation().create(inputs),
  diff: (id, olds, news) => implementation().diff!(id, olds, news),
  update: (id, olds, news) => implementation().update!(id, olds, news),
  delete: (id, props) => implementation().delete!(id, props),
  read: (id, props) => implementation().read!(id, props),
};
