/** Any OpenAI chat chunk sequence an upstream might send (and end markers), for the stream property tests. */
import fc from 'fast-check';

export const chunkArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    id: fc.constant('chatcmpl-p'),
    object: fc.constant('chat.completion.chunk'),
    created: fc.constant(1),
    model: fc.constant('m'),
    choices: fc.array(
      fc.record({
        index: fc.constant(0),
        delta: fc.record(
          {
            role: fc.constant('assistant'),
            content: fc.option(fc.string({ maxLength: 5 }), { nil: null }),
            reasoning_content: fc.string({ maxLength: 5 }),
            tool_calls: fc.array(
              fc.record(
                {
                  index: fc.integer({ min: 0, max: 3 }),
                  id: fc.constantFrom('call_1', 'call_2'),
                  function: fc.record(
                    { name: fc.constantFrom('bash', 'read'), arguments: fc.constantFrom('{', '"a":', '1', '}', '') },
                    { requiredKeys: [] },
                  ),
                },
                { requiredKeys: ['index'] },
              ),
              { maxLength: 2 },
            ),
          },
          { requiredKeys: [] },
        ),
        finish_reason: fc.constantFrom(null, null, 'stop', 'length', 'tool_calls'),
      }),
      { maxLength: 1 },
    ),
    usage: fc.option(fc.record({ prompt_tokens: fc.nat(50), completion_tokens: fc.nat(50) }), { nil: undefined }),
  }),
  fc.constantFrom('[DONE]', 'ping', 'eof', 'error'),
);
