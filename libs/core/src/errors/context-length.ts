/** The one wording of "the prompt fills the context", wherever it is found (before admission, or in the worker). */
export function contextLengthMessage(promptTokens: number, contextSize: number): string {
  // Anthropic clients (Claude Code) compact on "prompt is too long"; OpenAI clients read the rest.
  return (
    `prompt is too long: ${promptTokens} tokens > ${contextSize} maximum. This model's maximum context length ` +
    `is ${contextSize} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the ` +
    'length of the messages.'
  );
}
