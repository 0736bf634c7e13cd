/** Known-good resources of each type the pack judges; tests change one thing at a time. */
import {
  CERT_REQUEST,
  DOCKER_CONTAINER,
  K8S_DEPLOYMENT,
  K8S_SECRET,
  LOCALLY_SIGNED_CERT,
  PRIVATE_KEY,
  SELF_SIGNED_CERT,
} from "../lib/types";
import type { TestResource } from "./harness";

export const TLS13_CIPHERS =
  "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";

export function key(name = "gateway-key", props: Record<string, unknown> = {}): TestResource {
  return { type: PRIVATE_KEY, name, props: { algorithm: "ECDSA", ecdsaCurve: "P256", ...props } };
}

export function caCert(
  name = "ashchan-ca-cert",
  props: Record<string, unknown> = {},
): TestResource {
  return {
    type: SELF_SIGNED_CERT,
    name,
    props: {
      privateKeyPem: "(secret)",
      subject: { commonName: "ashchan-ca", organization: "ashchan" },
      validityPeriodHours: 87600,
      earlyRenewalHours: 8760,
      isCaCertificate: true,
      maxPathLength: 0,
      setSubjectKeyId: true,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      ...props,
    },
    dependsOn: ["ashchan-ca-key"],
  };
}

export function request(service = "gateway", props: Record<string, unknown> = {}): TestResource {
  return {
    type: CERT_REQUEST,
    name: `${service}-csr`,
    props: {
      privateKeyPem: "(secret)",
      subject: { commonName: service },
      dnsNames: [service, "localhost", `${service}.ashchan.local`],
      ipAddresses: ["127.0.0.1"],
      uris: [`spiffe://ashchan.local/service/${service}`],
      ...props,
    },
    dependsOn: [`${service}-key`],
  };
}

export function leafCert(service = "gateway", props: Record<string, unknown> = {}): TestResource {
  return {
    type: LOCALLY_SIGNED_CERT,
    name: `${service}-cert`,
    props: {
      certRequestPem: "(pem)",
      caCertPem: "(pem)",
      caPrivateKeyPem: "(secret)",
      validityPeriodHours: 2160,
      earlyRenewalHours: 720,
      isCaCertificate: false,
      allowedUses: ["digital_signature", "server_auth", "client_auth"],
      ...props,
    },
    dependsOn: [`${service}-csr`, "ashchan-ca-cert", "ashchan-ca-key"],
  };
}

export function meshEnv(service = "gateway"): Record<string, string> {
  return {
    SERVICE_NAME: service,
    MTLS_PORT: "8443",
    MTLS_CERT_FILE: "/etc/mtls/tls.crt",
    MTLS_KEY_FILE: "/etc/mtls/tls.key",
    MTLS_CA_FILE: "/etc/mtls/ca.crt",
    MTLS_CLIENT_CERT_FILE: "/etc/mtls/tls.crt",
    MTLS_CLIENT_KEY_FILE: "/etc/mtls/tls.key",
    MTLS_MIN_VERSION: "TLSv1.3",
    MTLS_CIPHERS: TLS13_CIPHERS,
  };
}

export function container(
  service = "gateway",
  props: Record<string, unknown> = {},
  env: Record<string, string> = {},
): TestResource {
  return {
    type: DOCKER_CONTAINER,
    name: `${service}-container`,
    props: {
      name: `mesh-${service}`,
      image: "mesh-service:local",
      envs: Object.entries({ ...meshEnv(service), ...env }).map(([k, v]) => `${k}=${v}`),
      ports: [{ internal: 8443, external: 18443, ip: "127.0.0.1", protocol: "tcp" }],
      volumes: [
        { hostPath: `/var/lib/mesh/${service}`, containerPath: "/etc/mtls", readOnly: true },
      ],
      ...props,
    },
  };
}

export interface PodPatch {
  env?: Record<string, unknown>[];
  volumeMounts?: Record<string, unknown>[];
  volumes?: Record<string, unknown>[];
}

export function deployment(service = "gateway", patch: PodPatch = {}): TestResource {
  return {
    type: K8S_DEPLOYMENT,
    name: `${service}-deployment`,
    props: {
      metadata: { name: service },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: service } },
        template: {
          metadata: { labels: { app: service }, annotations: { "mesh-pki/cert-sha256": "abc" } },
          spec: {
            containers: [
              {
                name: service,
                image: "mesh-service:1",
                env:
                  patch.env ??
                  Object.entries(meshEnv(service)).map(([name, value]) => ({ name, value })),
                volumeMounts: patch.volumeMounts ?? [
                  { name: "mtls", mountPath: "/etc/mtls", readOnly: true },
                ],
              },
            ],
            volumes: patch.volumes ?? [{ name: "mtls", secret: { secretName: `${service}-mtls` } }],
          },
        },
      },
    },
  };
}

export function tlsSecret(service = "gateway", props: Record<string, unknown> = {}): TestResource {
  return {
    type: K8S_SECRET,
    name: `${service}-secret`,
    props: {
      metadata: { name: `${service}-mtls` },
      type: "kubernetes.io/tls",
      data: { "tls.crt": "Y2VydA==", "tls.key": "a2V5", "ca.crt": "Y2E=" },
      ...props,
    },
  };
}

/** A whole known-good mesh: a root CA, two services with identities, and their containers. */
export function meshStack(services = ["gateway", "auth"]): TestResource[] {
  return [
    key("ashchan-ca-key"),
    caCert(),
    ...services.flatMap((s) => [key(`${s}-key`), request(s), leafCert(s), container(s)]),
  ];
}

/** A PEM private key block as a service would never receive it in its environment. */
export const PEM_KEY =
  "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBLtMDDpqbWy1E6ulJ0O5A5RkW6cQvZ0mYV3b8Q1hZ0ioAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n";
