/**
 * `cortex make-model`: writes a seeded random GGUF (tiny/small/1b) so machines that cannot download
 * weights still run real node-llama-cpp inference, or with `--script` a model that decodes a given
 * script (thoughts, tool calls, text) for tests, in the built-in vocabulary or, with `--tokenizer`,
 * a real one (a Hugging Face tokenizer.json and its chat template). Progress goes to stderr for the
 * large presets.
 */
import { readFileSync } from 'node:fs';
import { Command, CommandRunner, Option } from 'nest-commander';
import {
  EogMode,
  type GeneratedArch,
  PRESET_NAMES,
  PresetName,
  type ScriptedModelOptions,
  TENSOR_DATA_TYPES,
  TensorDataType,
  makeModel,
  makeScriptedModel,
  readHfTokenizer,
} from '@app/core';
import { UsageError } from '../support/cli-error';

/** A script file: an array of steps, or an object with promptTail/script/answer or parts/markers. */
type ScriptFile = Omit<ScriptedModelOptions, 'out' | 'seed' | 'context' | 'vocab' | 'arch' | 'name'>;

interface MakeModelFlags {
  preset?: PresetName;
  script?: ScriptFile;
  tokenizer?: string;
  chatTemplate?: string;
  arch?: GeneratedArch;
  name?: string;
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
      const vocab = flags.tokenizer ? this.tokenizer(flags.tokenizer, flags.chatTemplate) : undefined;
      let made: ReturnType<typeof makeScriptedModel>;
      try {
        made = makeScriptedModel({
          ...flags.script,
          out: flags.out,
          seed: flags.seed,
          context: flags.context,
          vocab,
          arch: flags.arch,
          name: flags.name,
        });
      } catch (err) {
        throw new UsageError(`--script: ${(err as Error).message}`);
      }
      const words = `${made.vocabSize}-token ${vocab ? `${vocab.model} ` : 'built-in '}vocabulary`;
      process.stdout.write(
        `wrote ${made.file}: scripted, ${made.tokens} steps, ${words}, ${(made.bytes / 1e6).toFixed(1)} MB ` +
          `(${Date.now() - started} ms)\n`,
      );
      return;
    }
    if (flags.tokenizer)
      throw new UsageError('--tokenizer: only with --script (random presets use the built-in vocabulary)');
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

  private tokenizer(dir: string, templateFile?: string) {
    let chatTemplate: string | undefined;
    try {
      chatTemplate = templateFile ? readFileSync(templateFile, 'utf8') : undefined;
      return readHfTokenizer(dir, { chatTemplate });
    } catch (err) {
      const what =
        templateFile && chatTemplate === undefined ? `--chat-template ${templateFile}` : `--tokenizer ${dir}`;
      throw new UsageError(`${what}: ${(err as Error).message}`);
    }
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
  parseScript(raw: string): ScriptFile {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(raw, 'utf8'));
    } catch (err) {
      throw new UsageError(`--script: cannot read ${raw} as JSON (${(err as Error).message})`);
    }
    if (Array.isArray(parsed)) return { script: parsed as ScriptFile['script'] };
    if (typeof parsed !== 'object' || parsed === null || !('script' in parsed || 'parts' in parsed))
      throw new UsageError('--script: expected a JSON array of steps, or an object with "script" or "parts"');
    return parsed as ScriptFile;
  }

  @Option({
    flags: '--tokenizer <dir>',
    description: 'with --script: a folder with a Hugging Face tokenizer.json (and tokenizer_config.json)',
  })
  parseTokenizer(raw: string): string {
    return raw;
  }

  @Option({ flags: '--chat-template <file>', description: 'with --tokenizer: a Jinja chat template to use instead' })
  parseChatTemplate(raw: string): string {
    return raw;
  }

  @Option({ flags: '--arch <name>', description: 'with --script: llama (default) or qwen3' })
  parseArch(raw: string): GeneratedArch {
    if (raw !== 'llama' && raw !== 'qwen3') throw new UsageError(`--arch: expected llama or qwen3, got "${raw}"`);
    return raw;
  }

  @Option({ flags: '--name <name>', description: 'with --script: general.name in the GGUF' })
  parseName(raw: string): string {
    return raw;
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
