import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { installMocks } from "./mocks";

describe("index.ts with a kubeconfig context that does not exist", () => {
  it("stops with a message naming the key and the contexts there are, before any resource", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-pki-bad-context-"));
    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(kubeconfig, "contexts:\n- name: staging\n  context: {}\n");
    const mocks = await installMocks();
    pulumi.runtime.setAllConfig({
      "mesh-pki:deploy": JSON.stringify({ target: "kubernetes", kubeconfig, context: "prod" }),
    });

    try {
      const loading = import("../../index");
      await expect(loading).rejects.toBeInstanceOf(pulumi.RunError);
      await expect(loading).rejects.toThrow(
        `mesh-pki:deploy.context: kubeconfig ${kubeconfig} has no context "prod" (it has "staging")`,
      );
      await new Promise((r) => setTimeout(r, 10));
      expect(mocks.resources).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
