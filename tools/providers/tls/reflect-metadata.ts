// @peculiar/x509 resolves its algorithm registry through tsyringe, which refuses to load unless the
// Reflect metadata API exists. The project does not depend on the `reflect-metadata` package, so this
// module supplies the five functions tsyringe and the library's decorators call, and nothing more.
//
// TODO: replace this file with a dependency on `reflect-metadata` (one line in package.json); until then
// a tsyringe release that calls another Reflect metadata function would fail at the provider's start.

type Target = object;
type MetadataMap = Map<unknown, unknown>;

interface ReflectMetadataApi {
  getMetadata?: (key: unknown, target: Target, property?: string | symbol) => unknown;
  getOwnMetadata?: (key: unknown, target: Target, property?: string | symbol) => unknown;
  defineMetadata?: (
    key: unknown,
    value: unknown,
    target: Target,
    property?: string | symbol,
  ) => void;
  hasOwnMetadata?: (key: unknown, target: Target, property?: string | symbol) => boolean;
  metadata?: (key: unknown, value: unknown) => (target: Target, property?: string | symbol) => void;
}

const store = new WeakMap<Target, Map<string | symbol | undefined, MetadataMap>>();

function ownMap(target: Target, property: string | symbol | undefined, create: boolean) {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let map = byProperty.get(property);
  if (!map && create) {
    map = new Map();
    byProperty.set(property, map);
  }
  return map;
}

export function installReflectMetadata(): void {
  const api = Reflect as unknown as ReflectMetadataApi;
  if (typeof api.getMetadata === "function") return;

  api.defineMetadata = (key, value, target, property) => {
    ownMap(target, property, true)!.set(key, value);
  };
  api.hasOwnMetadata = (key, target, property) =>
    ownMap(target, property, false)?.has(key) ?? false;
  api.getOwnMetadata = (key, target, property) => ownMap(target, property, false)?.get(key);
  api.getMetadata = (key, target, property) => {
    for (let t: Target | null = target; t; t = Object.getPrototypeOf(t)) {
      const map = ownMap(t, property, false);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  };
  api.metadata = (key, value) => (target, property) => {
    api.defineMetadata!(key, value, target, property);
  };
}
