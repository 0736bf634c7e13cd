/** The leaf certificates of a stack, each with the resource that carries its subject and SANs. */
import { isCa } from "./certs";
import { isUnknown } from "./known";
import type { StackResources, Subject, Unchecked } from "./policy";
import { CERT_REQUEST, CERTIFICATES, SELF_SIGNED_CERT } from "./types";

export interface Leaf {
  readonly cert: Subject;
  /** The self-signed certificate itself, or the request a locally signed one was issued from. */
  readonly names: Subject | undefined;
}

/** Leaves (certificates that are not CAs); one whose kind is unknown is recorded as not checked. */
export function leavesOf(resources: StackResources, what: string, unchecked: Unchecked): Leaf[] {
  const leaves: Leaf[] = [];
  for (const cert of resources.ofType(...CERTIFICATES)) {
    const ca = isCa(cert.props);
    if (isUnknown(ca)) {
      unchecked(cert, "isCaCertificate", what);
      continue;
    }
    if (ca) {
      continue;
    }
    const names =
      cert.type === SELF_SIGNED_CERT ? cert : resources.dependencies(cert, CERT_REQUEST)[0];
    leaves.push({ cert, names });
  }
  return leaves;
}
