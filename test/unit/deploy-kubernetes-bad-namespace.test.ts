import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { installMocks } from "./mocks";

describe("index.ts with a namespace that is not a DNS label", () => {
  it("stops with a message naming the key, before any resource is declared", async () => {
    const mocks = await installMocks();
    pulumi.runtime.setAllConfig({
      "mesh-pki:deploy": JSON.stringify({ target: "kubernetes", namespace: "mesh.pki" }),
    });

    const loading = import("../../index");

    await expect(loading).rejects.toBeInstanceOf(pulumi.RunError);
    await expect(loading).rejects.toThrow(
      /mesh-pki:deploy.namespace: namespace "mesh.pki" is not a DNS label/,
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(mocks.resources).toEqual([]);
  });
});
