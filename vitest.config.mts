import { defineConfig } from "vitest/config";

// Unit tests run in parallel; tests that drive the real engine, Docker or promtool run one file at a
// time, since each starts its own engine processes and two cores are all there is.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "test/unit/**/*.test.ts",
            "policy/test/**/*.test.ts",
            "bench/test/**/*.test.mts",
          ],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts", "test/conformance/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
