/**
 * The files target's dynamic provider, called directly on a temporary directory: what it writes, with
 * which modes, how it diffs, updates, reads back and deletes, and what it refuses.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import {
  FileSetInputs,
  fileSetImplementation,
  fileSetProvider,
  WrittenFile,
} from "../../components/deploy/filesProvider";

const provider = fileSetImplementation as Required<typeof fileSetImplementation>;
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-pki-files-provider-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function inputs(files: FileSetInputs["files"], directory = path.join(dir, "certs")): FileSetInputs {
  return { directory, files };
}

const CERT = { path: "services/gateway/gateway.crt", content: "CERT 1\n", mode: 0o644 };
const KEY = { path: "services/gateway/gateway.key", content: "KEY 1\n", mode: 0o600 };

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

/** Every entry under a directory, relative, sorted. */
function tree(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).sort();
}

describe("fileSetProvider.create", () => {
  it("writes each file with its content and mode, and records path, mode and SHA-256 only", async () => {
    const news = inputs([CERT, KEY]);
    const result = await provider.create(news);

    const root = news.directory;
    expect(result.id).toBe(root);
    expect(fs.readFileSync(path.join(root, CERT.path), "utf8")).toBe("CERT 1\n");
    expect(fs.readFileSync(path.join(root, KEY.path), "utf8")).toBe("KEY 1\n");
    expect(mode(path.join(root, CERT.path))).toBe(0o644);
    expect(mode(path.join(root, KEY.path))).toBe(0o600);
    expect(result.outs).toEqual({
      directory: root,
      written: [
        { path: CERT.path, mode: 0o644, sha256: sha("CERT 1\n") },
        { path: KEY.path, mode: 0o600, sha256: sha("KEY 1\n") },
      ],
    });
    expect(JSON.stringify(result.outs)).not.toContain("KEY 1");
  });

  it("leaves no temporary file behind (written beside the target, then renamed)", async () => {
    const news = inputs([CERT, KEY]);
    await provider.create(news);
    await provider.update(
      news.directory,
      (await provider.create(news)).outs!,
      inputs([CERT, { ...KEY, content: "KEY 2\n" }]),
    );
    expect(tree(news.directory)).toEqual([
      "services",
      "services/gateway",
      "services/gateway/gateway.crt",
      "services/gateway/gateway.key",
    ]);
  });

  it("keeps the key's mode 0600 even under a permissive umask", async () => {
    const previous = process.umask(0o000);
    try {
      await provider.create(inputs([KEY]));
    } finally {
      process.umask(previous);
    }
    expect(mode(path.join(dir, "certs", KEY.path))).toBe(0o600);
  });

  it("replaces a file atomically: a reader never sees a partial file", async () => {
    const news = inputs([CERT]);
    await provider.create(news);
    const target = path.join(news.directory, CERT.path);
    const before = fs.statSync(target).ino;
    await provider.create(inputs([{ ...CERT, content: "CERT 2\n" }]));
    // A rename gives the path a new inode; an in-place write would keep the old one.
    expect(fs.statSync(target).ino).not.toBe(before);
    expect(fs.readFileSync(target, "utf8")).toBe("CERT 2\n");
  });
});

describe("fileSetProvider.check", () => {
  it.each([
    ["an absolute file path", "/etc/passwd"],
    ["a path that climbs out", "../outside.crt"],
    ["a path that climbs out midway", "services/../../outside.crt"],
  ])("refuses %s", async (_case, bad) => {
    const result = await provider.check({} as FileSetInputs, inputs([{ ...CERT, path: bad }]));
    expect(result.failures).toEqual([
      { property: "files", reason: `file path ${bad} must stay inside the directory` },
    ]);
  });

  it("refuses a relative directory", async () => {
    const result = await provider.check({} as FileSetInputs, inputs([CERT], "certs"));
    expect(result.failures).toEqual([
      { property: "directory", reason: "directory must be an absolute path" },
    ]);
  });

  it("accepts paths inside the directory", async () => {
    const result = await provider.check({} as FileSetInputs, inputs([CERT, KEY]));
    expect(result.failures).toEqual([]);
  });
});

describe("fileSetProvider.diff", () => {
  const olds = (files: FileSetInputs["files"]) => ({
    directory: path.join(dir, "certs"),
    written: files.map((f) => ({ path: f.path, mode: f.mode, sha256: sha(f.content) })),
  });

  it.each([
    ["nothing changed", [CERT, KEY], { changes: false }],
    ["the content changed", [CERT, { ...KEY, content: "KEY 2\n" }], { changes: true }],
    ["a mode changed", [CERT, { ...KEY, mode: 0o640 }], { changes: true }],
    ["a file was added", [CERT, KEY, { ...CERT, path: "extra.crt" }], { changes: true }],
    ["a file was dropped", [CERT], { changes: true }],
  ])("reports %s", async (_case, files, expected) => {
    expect(await provider.diff("id", olds([CERT, KEY]), inputs(files))).toEqual(expected);
  });

  it("replaces the set when the directory changes", async () => {
    expect(
      await provider.diff("id", olds([CERT]), inputs([CERT], path.join(dir, "elsewhere"))),
    ).toEqual({ changes: true, replaces: ["directory"] });
  });

  it("compares state whose objects came back with sorted keys", async () => {
    const sorted = {
      directory: path.join(dir, "certs"),
      written: [{ mode: CERT.mode, path: CERT.path, sha256: sha(CERT.content) }] as WrittenFile[],
    };
    expect(await provider.diff("id", sorted, inputs([CERT]))).toEqual({ changes: false });
  });
});

describe("fileSetProvider.update", () => {
  it("rewrites changed files and removes the ones no longer in the set", async () => {
    const first = await provider.create(inputs([CERT, KEY, { ...CERT, path: "old/old.crt" }]));
    const news = inputs([{ ...CERT, content: "CERT 2\n" }, KEY]);
    const result = await provider.update(first.id, first.outs!, news);

    expect(fs.readFileSync(path.join(news.directory, CERT.path), "utf8")).toBe("CERT 2\n");
    expect(fs.existsSync(path.join(news.directory, "old"))).toBe(false);
    expect(result.outs?.written).toEqual([
      { path: CERT.path, mode: 0o644, sha256: sha("CERT 2\n") },
      { path: KEY.path, mode: 0o600, sha256: sha("KEY 1\n") },
    ]);
  });
});

describe("fileSetProvider.read", () => {
  it("reports the files as they are on disk: a changed file, a changed mode, a missing file", async () => {
    const created = await provider.create(inputs([CERT, KEY, { ...CERT, path: "gone.crt" }]));
    const root = created.id;
    fs.writeFileSync(path.join(root, CERT.path), "EDITED\n");
    fs.chmodSync(path.join(root, KEY.path), 0o644);
    fs.rmSync(path.join(root, "gone.crt"));

    const read = await provider.read(root, created.outs);
    expect(read).toEqual({
      id: root,
      props: {
        directory: root,
        written: [
          { path: CERT.path, mode: 0o644, sha256: sha("EDITED\n") },
          { path: KEY.path, mode: 0o644, sha256: sha("KEY 1\n") },
          { path: "gone.crt", mode: 0o644, sha256: "missing" },
        ],
      },
    });
  });
});

describe("fileSetProvider.delete", () => {
  it("removes its files and the directories they leave empty, and nothing else", async () => {
    const root = path.join(dir, "certs");
    fs.mkdirSync(path.join(root, "ca"), { recursive: true });
    fs.writeFileSync(path.join(root, "ca", "ca.crt"), "CA\n");
    const created = await provider.create(inputs([CERT, KEY]));

    await provider.delete(created.id, created.outs!);
    expect(tree(root)).toEqual(["ca", "ca/ca.crt"]);
  });

  it("removes the set's directory when it is left empty", async () => {
    const created = await provider.create(inputs([CERT, KEY]));
    await provider.delete(created.id, created.outs!);
    expect(fs.existsSync(path.join(dir, "certs"))).toBe(false);
  });
});

describe("fileSetProvider, the provider FileSet resources carry", () => {
  // The engine stores the serialised provider twice in every FileSet's state and rewrites the whole state
  // after each step: the implementation serialised was 8 KB a resource (bench/README.md).
  it("serialises to a loader of the compiled implementation, not to the implementation", async () => {
    const serialized = await pulumi.runtime.serializeFunction(() => fileSetProvider, {
      isFactoryFunction: true,
    });
    expect(serialized.text.length).toBeLessThan(3500);
    expect(serialized.text).not.toContain("writeAtomically");
    expect(serialized.text).toContain("fileSetImplementation");
    expect(serialized.text).toContain("components/deploy/filesProvider");
  });

  it("has every method of the implementation", () => {
    expect(Object.keys(fileSetProvider).sort()).toEqual(Object.keys(fileSetImplementation).sort());
  });
});
