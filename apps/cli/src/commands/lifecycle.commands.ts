/** `cortex load|unload|pin|unpin MODEL [--node N]`: model lifecycle through the gateway's admin API. */
import { Command, Option } from 'nest-commander';
import { UsageError } from '../cli-error';
import { GatewayClient, type Target } from '../gateway-client';
import { GatewayCommand } from './target-options';

type Flags = Target & { node?: string };

abstract class LifecycleCommand extends GatewayCommand {
  protected abstract readonly action: 'load' | 'unload' | 'pin' | 'unpin';

  constructor(protected readonly client: GatewayClient) {
    super();
  }

  async run(args: string[], flags: Flags): Promise<void> {
    const model = args[0];
    if (!model) throw new UsageError(`${this.action}: expected a model name`);
    const res = await this.client.call(this.target(flags), 'POST', `/admin/models/${this.action}`, {
      model,
      node: flags.node,
    });
    process.stdout.write(`${JSON.stringify(res)}\n`);
  }

  @Option({ flags: '-n, --node <name>', description: 'only this neuron' })
  parseNode(raw: string): string {
    return raw;
  }
}

@Command({ name: 'load', arguments: '<model>', description: 'load a model (placing it where it fits)' })
export class LoadCommand extends LifecycleCommand {
  protected readonly action = 'load';
  // Explicit, so Nest reads this class's own constructor metadata.
  constructor(client: GatewayClient) {
    super(client);
  }
}

@Command({ name: 'unload', arguments: '<model>', description: 'unload a model from every neuron (or --node)' })
export class UnloadCommand extends LifecycleCommand {
  protected readonly action = 'unload';
  // Explicit, so Nest reads this class's own constructor metadata.
  constructor(client: GatewayClient) {
    super(client);
  }
}

@Command({ name: 'pin', arguments: '<model>', description: 'load a model and pin it (never evicted)' })
export class PinCommand extends LifecycleCommand {
  protected readonly action = 'pin';
  // Explicit, so Nest reads this class's own constructor metadata.
  constructor(client: GatewayClient) {
    super(client);
  }
}

@Command({ name: 'unpin', arguments: '<model>', description: 'let a pinned model be evicted again' })
export class UnpinCommand extends LifecycleCommand {
  protected readonly action = 'unpin';
  // Explicit, so Nest reads this class's own constructor metadata.
  constructor(client: GatewayClient) {
    super(client);
  }
}
