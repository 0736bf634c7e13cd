/** The resource type tokens the pack judges, as the engine reports them. */
export const PRIVATE_KEY = "tls:index/privateKey:PrivateKey";
export const SELF_SIGNED_CERT = "tls:index/selfSignedCert:SelfSignedCert";
export const LOCALLY_SIGNED_CERT = "tls:index/locallySignedCert:LocallySignedCert";
export const CERT_REQUEST = "tls:index/certRequest:CertRequest";
export const CERTIFICATES = [SELF_SIGNED_CERT, LOCALLY_SIGNED_CERT] as const;

export const DOCKER_CONTAINER = "docker:index/container:Container";
export const K8S_SECRET = "kubernetes:core/v1:Secret";
export const K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const WORKLOADS = [DOCKER_CONTAINER, K8S_DEPLOYMENT] as const;
