/**
 * `cortex load|unload|pin|unpin MODEL [--node N]`: model lifecycle through the gateway's admin API.
 * A load on a terminal shows a progress bar fed by the neuron's load progress (a spinner until the
 * model appears with a progress figure); elsewhere it prints only the result.
 */
import { Command, Option } from 'nest-commander';
import { loadProgress } from './load-progress';
import { UsageError } from '../support/cli-error';
import { GatewayClient, type Target } from '../support/gateway-client';
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
    const target = this.target(flags);
    const done = this.client.call(target, 'POST', `/admin/models/${this.action}`, { model, node: flags.node });
    const showing =
      this.action === 'load' || this.action === 'pin' ? loadProgress(this.client, target, model, done) : null;
    const res = await done.finally(() => showing?.stop());
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
