/**
 * `cortex make-model`: writes a seeded random GGUF (tiny/small/1b) so machines that cannot download
 * weights still run real node-llama-cpp inference, or with `--script` a model that decodes a given
 * script (thoughts, tool calls, text) for tests. Progress goes to stderr for the large presets.
 */
import { readFileSync } from 'node:fs';
import { Command, CommandRunner, Option } from 'nest-commander';
import {
  EogMode,
  PRESET_NAMES,
  PresetName,
  type ScriptStep,
  TENSOR_DATA_TYPES,
  TensorDataType,
  makeModel,
  makeScriptedModel,
} from '@app/core';
import { UsageError } from '../cli-error';

interface MakeModelFlags {
  preset?: PresetName;
  script?: ScriptStep[];
  out: string;
  quant?: TensorDataType;
  seed?: number;
  context?: number;
  eog?: EogMode;
}

function positiveInt(flag: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag}: expected an integer >= ${min}, got "${raw}"`);
  return n;
}

@Command({ name: 'make-model', description: 'write a seeded random GGUF model (tiny, small or 1b)' })
export class MakeModelCommand extends CommandRunner {
  async run(_args: string[], flags: MakeModelFlags): Promise<void> {
    const started = Date.now();
    if (flags.script) {
      const made = makeScriptedModel({
        out: flags.out,
        script: flags.script,
        seed: flags.seed,
        context: flags.context,
      });
      process.stdout.write(`wrote ${made.file}: scripted, ${made.tokens} steps, ${(made.bytes / 1e6).toFixed(1)} MB\n`);
      return;
    }
    if (!flags.preset) throw new UsageError('--preset: expected one of tiny, small, 1b (or --script FILE)');
    let lastPct = -1;
    const preset = flags.preset;
    const result = makeModel({
      ...flags,
      preset,
      onProgress: (p) => {
        const pct = Math.floor((100 * p.bytesWritten) / p.bytesTotal);
        if (p.bytesTotal < 64 << 20 || pct === lastPct || pct % 5 !== 0) return;
        lastPct = pct;
        process.stderr.write(`make-model: ${pct}% (${p.index + 1}/${p.total} tensors)\n`);
      },
    });
    const mb = (result.bytes / 1e6).toFixed(1);
    const params = (result.params / 1e6).toFixed(2);
    process.stdout.write(
      `wrote ${result.file}: ${flags.preset}, ${result.quant}, ${params}M params, ${mb} MB, ` +
        `context ${result.shape.contextLength}, seed ${result.seed}, eog ${flags.eog ?? 'never'} ` +
        `(${Date.now() - started} ms)\n`,
    );
  }

  @Option({ flags: '--preset <name>', description: `model shape: ${PRESET_NAMES.join(', ')} (or --script)` })
  parsePreset(raw: string): PresetName {
    if (!(PRESET_NAMES as string[]).includes(raw)) {
      throw new UsageError(`--preset: expected one of ${PRESET_NAMES.join(', ')}, got "${raw}"`);
    }
    return raw as PresetName;
  }

  @Option({
    flags: '--script <file>',
    description: 'a JSON array of script steps: the model decodes exactly them (README: Models without downloads)',
  })
  parseScript(raw: string): ScriptStep[] {
    let steps: unknown;
    try {
      steps = JSON.parse(readFileSync(raw, 'utf8'));
    } catch (err) {
      throw new UsageError(`--script: cannot read ${raw} as JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(steps)) throw new UsageError('--script: expected a JSON array of steps');
    return steps as ScriptStep[];
  }

  @Option({ flags: '--out <file>', description: 'where to write the .gguf', required: true })
  parseOut(raw: string): string {
    return raw;
  }

  @Option({ flags: '--quant <type>', description: 'tensor type: f32, f16 or q8_0 (default q8_0)' })
  parseQuant(raw: string): TensorDataType {
    if (!(TENSOR_DATA_TYPES as readonly string[]).includes(raw)) {
      throw new UsageError(`--quant: expected one of ${TENSOR_DATA_TYPES.join(', ')}, got "${raw}"`);
    }
    return raw as TensorDataType;
  }

  @Option({ flags: '--seed <n>', description: 'weights seed; the same seed gives the same bytes (default 42)' })
  parseSeed(raw: string): number {
    return positiveInt('--seed', raw, 0);
  }

  @Option({ flags: '--context <n>', description: 'trained context length (default: the preset’s)' })
  parseContext(raw: string): number {
    return positiveInt('--context', raw, 16);
  }

  @Option({ flags: '--eog <mode>', description: 'never (default): generations run to max_tokens; random' })
  parseEog(raw: string): EogMode {
    if (raw !== 'never' && raw !== 'random') throw new UsageError(`--eog: expected never or random, got "${raw}"`);
    return raw;
  }
}
