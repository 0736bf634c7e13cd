// @pulumi/pulumi's provider server (3.276) answers the engine's Configure itself and never shows the request
// to the provider, so a provider built on it cannot read its configuration (`docker:host`). This hands the
// request's variables to the stand-in first: the service the SDK registers gets a Configure that calls
// `onConfigure` and answers with its error, or goes on to the SDK's own answer.

import { createRequire } from "node:module";

type Grpc = typeof import("@grpc/grpc-js");
type Handler = (call: { request: ConfigureRequest }, callback: Callback) => void;
type Callback = (error: { code: number; details: string } | null, value?: unknown) => void;
interface ConfigureRequest {
  getVariablesMap(): { entries(): Iterable<[string, string]> };
}

/** Call once, before `main` from @pulumi/pulumi/provider starts the server. */
export function interceptConfigure(onConfigure: (variables: Map<string, string>) => void): void {
  // The grpc module the SDK's server is built with, not whichever copy this file would resolve.
  const grpc = createRequire(require.resolve("@pulumi/pulumi/provider/server"))(
    "@grpc/grpc-js",
  ) as Grpc;
  const addService = grpc.Server.prototype.addService;

  grpc.Server.prototype.addService = function (service, implementation) {
    const sdkConfigure = (implementation as Record<string, unknown>).configure as
      Handler | undefined;
    if ("configure" in service && typeof sdkConfigure === "function") {
      const configure: Handler = function (this: unknown, call, callback) {
        try {
          onConfigure(new Map(call.request.getVariablesMap().entries()));
        } catch (err) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: (err as Error).message });
          return;
        }
        sdkConfigure.call(this, call, callback);
      };
      (implementation as Record<string, unknown>).configure = configure;
    }
    return addService.call(this, service, implementation);
  };
}
