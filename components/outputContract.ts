/**
 * The names and shapes of the stack outputs that other stacks read. Shared by the program that
 * exports them (outputs.ts) and the consumer helper (consumer.ts); no Pulumi resources in here.
 */
import { z } from "zod";

/** Public facts of one service identity: the `services` output holds one per service. */
export const serviceOutputSchema = z.object({
  certPem: z.string(),
  /** Leaf, then the intermediate when there is one. */
  chainPem: z.string(),
  spiffeId: z.string(),
  dnsNames: z.array(z.string()),
  ipAddresses: z.array(z.string()),
  serialNumber: z.string(),
  fingerprintSha256: z.string(),
  spkiPinSha256: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
});
export type ServiceOutput = z.infer<typeof serviceOutputSchema>;

export const servicesOutputSchema = z.record(z.string(), serviceOutputSchema);
export const serviceKeyPemsOutputSchema = z.record(z.string(), z.string());

/** Output names, fixed: consumers depend on them. */
export const OUTPUT_NAMES = {
  trustBundlePem: "trustBundlePem",
  issuerCertPem: "issuerCertPem",
  services: "services",
  serviceKeyPems: "serviceKeyPems",
} as const;
