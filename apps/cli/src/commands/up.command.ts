/**
 * `cortex up` (what `npm start` runs): everything on one machine with no config. Until the neuron and
 * gateway land it prepares the demo model and says what it will start.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, CommandRunner, Option } from 'nest-commander';
import { makeModel } from '@app/core';

interface UpFlags {
  dataDir?: string;
}

@Command({ name: 'up', description: 'run gateway, one local neuron and a demo model on this machine' })
export class UpCommand extends CommandRunner {
  async run(_args: string[], flags: UpFlags): Promise<void> {
    const dataDir = resolve(flags.dataDir ?? '.cortex');
    const model = join(dataDir, 'models', 'tiny-chat.gguf');
    if (!existsSync(model)) makeModel({ preset: 'tiny', out: model, context: 32768 });
    process.stdout.write(
      `demo model ready: ${model}\n` +
        'cortex up will start a neuron on 127.0.0.1:13131 and the gateway on 127.0.0.1:31313 (metrics :31314);\n' +
        'the neuron and gateway land with their own issues.\n',
    );
  }

  @Option({ flags: '--data-dir <dir>', description: 'where the demo model and generated config live (.cortex)' })
  parseDataDir(raw: string): string {
    return raw;
  }
}
