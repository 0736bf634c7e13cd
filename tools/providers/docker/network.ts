// docker:index/network:Network (terraform-provider-docker, resource_docker_network.go): every input the
// stand-in serves forces a new network, as upstream.

import { isNotFound, Props, ResourceModule } from "./resource";

export const network: ResourceModule = {
  token: "docker:index/network:Network",
  inputs: {
    name: { replaceOnChange: true, required: true },
    driver: { replaceOnChange: true },
    internal: { replaceOnChange: true },
    attachable: { replaceOnChange: true },
  },

  withDefaults(props) {
    return {
      ...props,
      driver: props.driver ?? "bridge",
      internal: props.internal ?? false,
      attachable: props.attachable ?? false,
    };
  },

  async create(docker, inputs) {
    const name = inputs.name as string;
    const driver = (inputs.driver as string | undefined) ?? "bridge";
    const existing = await docker.listNetworks({ filters: { name: [name] } });
    if (existing.some((n) => n.Name === name)) {
      throw new Error(
        `a Docker network named ${name} already exists and is not this stack's; remove it (docker network rm ${name}) or choose another name`,
      );
    }
    const created = await docker.createNetwork({
      Name: name,
      Driver: driver,
      Internal: inputs.internal === true,
      Attachable: inputs.attachable === true,
      CheckDuplicate: true,
    });
    return { id: created.id, outs: outputs(inputs, driver) };
  },

  async read(docker, id, props) {
    try {
      const info = (await docker.getNetwork(id).inspect()) as { Name: string; Driver: string };
      return { ...props, name: info.Name, driver: info.Driver };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },

  async delete(docker, id) {
    try {
      await docker.getNetwork(id).remove();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },
};

function outputs(inputs: Props, driver: string): Props {
  return {
    name: inputs.name,
    driver,
    internal: inputs.internal === true,
    attachable: inputs.attachable === true,
    scope: "local",
  };
}
