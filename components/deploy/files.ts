/**
 * The `files` deploy target: the mesh's certificates on the local disk, in the layout the services already
 * read (`ca/ca.crt`, `services/<name>/<name>.crt` and `<name>.key`), rewritten on rotation and removed on
 * destroy.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { FileSetInputs, FileSetOutputs, fileSetProvider, WrittenFile } from "./filesProvider";

export const CA_BUNDLE_PATH = "ca/ca.crt";
export const ALERT_RULES_PATH = "prometheus/mesh-pki.rules.yml";
export const KEY_MODE = 0o600;
export const CERT_MODE = 0o644;

export function serviceCertPath(service: string): string {
  return `services/${service}/${service}.crt`;
}

export function serviceKeyPath(service: string): string {
  return `services/${service}/${service}.key`;
}

/**
 * The directory holding Pulumi.yaml, which relative paths in config are taken from. The program runs from
 * the directory of its compiled `main`, so look upwards for the project file.
 */
export function projectDirectory(from = process.cwd()): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

type Wrapped<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** A set of files written atomically under one directory (see filesProvider.ts). */
export class FileSet extends pulumi.dynamic.Resource {
  declare readonly directory: pulumi.Output<string>;
  declare readonly written: pulumi.Output<WrittenFile[]>;

  constructor(name: string, args: Wrapped<FileSetInputs>, opts?: pulumi.CustomResourceOptions) {
    super(fileSetProvider, name, { ...args, written: undefined }, opts, "mesh-pki", "FileSet");
  }
}

export interface ServiceFiles {
  /** Leaf certificate, followed by the intermediate when there is one. */
  chainPem: pulumi.Input<string>;
  keyPem: pulumi.Input<string>;
}

export interface FilesDeploymentArgs {
  /**
   * Directory the layout is written under; relative paths are taken from the project directory.
   * @default "certs"
   */
  directory?: string;
  /** The trust bundle every service verifies its peers against. */
  trustBundlePem: pulumi.Input<string>;
  /** Prometheus rule groups for the mesh, written beside the certificates when given. */
  alertRulesYaml?: pulumi.Input<string>;
  /** Per service name, what it needs on disk. */
  services: Record<string, ServiceFiles>;
}

/** The certificates of a mesh written to local files, one file set per service and one for the bundle. */
export class FilesDeployment extends pulumi.ComponentResource {
  /** Absolute directory the layout is under. */
  readonly directory: string;
  /** Absolute path of each service's certificate and key files. */
  readonly paths: Record<string, { certFile: string; keyFile: string }>;
  readonly caFile: string;

  constructor(name: string, args: FilesDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    // Arguments are checked before the component registers, so a bad one leaves nothing behind.
    if (Object.keys(args.services).length === 0) {
      throw new Error(
        "mesh-pki: the files deploy target needs at least one service in mesh-pki:services",
      );
    }
    const directory = path.resolve(projectDirectory(), args.directory ?? "certs");

    super("mesh-pki:deploy:FilesDeployment", name, {}, opts);

    new FileSet(
      `${name}-ca`,
      {
        directory,
        files: pulumi
          .output(args.trustBundlePem)
          .apply((pem) => [{ path: CA_BUNDLE_PATH, content: pem, mode: CERT_MODE }]),
      },
      { parent: this },
    );
    if (args.alertRulesYaml !== undefined) {
      new FileSet(
        `${name}-alert-rules`,
        {
          directory,
          files: pulumi
            .output(args.alertRulesYaml)
            .apply((yaml) => [{ path: ALERT_RULES_PATH, content: yaml, mode: CERT_MODE }]),
        },
        { parent: this },
      );
    }
    this.paths = {};
    for (const [service, files] of Object.entries(args.services)) {
      new FileSet(
        `${name}-${service}`,
        {
          directory,
          files: pulumi.all([files.chainPem, files.keyPem]).apply(([chainPem, keyPem]) => [
            { path: serviceCertPath(service), content: chainPem, mode: CERT_MODE },
            { path: serviceKeyPath(service), content: keyPem, mode: KEY_MODE },
          ]),
        },
        // The key is a secret Output, so the whole file list stays secret in state.
        { parent: this },
      );
      this.paths[service] = {
        certFile: path.join(directory, serviceCertPath(service)),
        keyFile: path.join(directory, serviceKeyPath(service)),
      };
    }
    this.directory = directory;
    this.caFile = path.join(directory, CA_BUNDLE_PATH);
    this.registerOutputs({ directory: this.directory, paths: this.paths, caFile: this.caFile });
  }
}

export type { FileSetOutputs };
