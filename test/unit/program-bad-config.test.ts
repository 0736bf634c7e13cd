import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { installMocks } from "./mocks";

describe("index.ts with a bad config", () => {
  it("stops with a message naming the key, before any resource is declared", async () => {
    const mocks = await installMocks();
    pulumi.runtime.setAllConfig({
      "mesh-pki:services": JSON.stringify({ gateway: { validityDays: 500 } }),
      "mesh-pki:trustDomian": "ashchan.local",
    });

    const loading = import("../../index");

    await expect(loading).rejects.toBeInstanceOf(pulumi.RunError);
    await expect(loading).rejects.toThrow(/mesh-pki:trustDomian: unknown config key/);
    await new Promise((r) => setTimeout(r, 10));
    expect(mocks.resources).toEqual([]);
  });
});
