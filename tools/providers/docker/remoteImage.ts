// docker:index/remoteImage:RemoteImage (resource_docker_image.go): a reference to an image on the engine.
// The stand-in never pulls (no registry is reachable where it is used) and never removes an image, so it
// serves keepLocally true only.

import { Failure, isNotFound, ResourceModule } from "./resource";

export const remoteImage: ResourceModule = {
  token: "docker:index/remoteImage:RemoteImage",
  inputs: {
    name: { replaceOnChange: true, required: true },
    keepLocally: { replaceOnChange: false },
  },

  check(news): Failure[] {
    if (news.keepLocally !== true) {
      return [
        {
          property: "keepLocally",
          reason:
            "the mesh-pki docker stand-in never removes images, so it needs keepLocally: true; install the official docker plugin to have destroy remove the image",
        },
      ];
    }
    return [];
  },

  async create(docker, inputs) {
    const name = inputs.name as string;
    let imageId: string;
    try {
      imageId = ((await docker.getImage(name).inspect()) as { Id: string }).Id;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      throw new Error(
        `image ${name} is not on the Docker engine, and the mesh-pki docker stand-in does not pull images; ` +
          `build or load it first (tools/docker.sh service-image ${name} builds the reference service)`,
      );
    }
    // The official id is the image id followed by the name.
    return { id: `${imageId}${name}`, outs: { name, keepLocally: true, imageId, repoDigest: "" } };
  },

  async update(_docker, _id, olds, news) {
    return { ...olds, keepLocally: news.keepLocally };
  },

  async read(docker, _id, props) {
    try {
      const info = (await docker.getImage(props.name as string).inspect()) as { Id: string };
      return { ...props, imageId: info.Id };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },

  async delete() {
    // keepLocally: the image stays on the engine, as upstream with keepLocally true.
  },
};
