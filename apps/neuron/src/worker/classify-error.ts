/**
 * Decides whether a failure inside the worker is a device fault (poison the device: restart the
 * child) or an ordinary JavaScript error that fails only its request. Native llama.cpp/ggml/CUDA
 * failures surface from the addon with recognisable messages; everything thrown before or around
 * evaluation (templates, tokenizer, grammars, bad parameters) is a request error.
 */
const NATIVE = [
  /\bcuda\b/i,
  /\bggml(_|\b)/i,
  /llama_decode/i,
  /eval(uation)? (has )?failed/i,
  /failed to decode/i,
  /out of memory/i,
  /GGML_ASSERT/,
  /\bcublas\b/i,
  /device lost/i,
  /vk::|vulkan/i,
];

export function isNativeFault(err: unknown): boolean {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return NATIVE.some((re) => re.test(message));
}
