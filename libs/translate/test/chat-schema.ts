/** JSON Schema of the OpenAI chat requests the translators may produce, for the property tests. */
const stringOrParts = {
  anyOf: [
    { type: 'string' },
    {
      type: 'array',
      items: {
        oneOf: [
          {
            type: 'object',
            required: ['type', 'text'],
            properties: { type: { const: 'text' }, text: { type: 'string' } },
          },
          {
            type: 'object',
            required: ['type', 'image_url'],
            properties: {
              type: { const: 'image_url' },
              image_url: { type: 'object', required: ['url'], properties: { url: { type: 'string', minLength: 1 } } },
            },
          },
        ],
      },
    },
  ],
};
export const openAIRequestSchema = {
  type: 'object',
  required: ['model', 'messages'],
  additionalProperties: false,
  properties: {
    model: { type: 'string', minLength: 1 },
    max_tokens: { type: 'integer', minimum: 1 },
    temperature: { type: 'number', minimum: 0, maximum: 2 },
    top_p: { type: 'number', minimum: 0, maximum: 1 },
    top_k: { type: 'number', minimum: 0 },
    stop: { type: 'array', items: { type: 'string' } },
    stream: { type: 'boolean' },
    stream_options: { type: 'object', required: ['include_usage'] },
    user: { type: 'string' },
    seed: { type: 'integer', minimum: 0 },
    prompt_cache_key: { type: 'string' },
    reasoning_effort: { enum: ['none', 'minimal', 'low', 'medium', 'high'] },
    thinking_budget: { type: 'integer', minimum: 0 },
    response_format: {
      anyOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['type'],
          properties: { type: { const: 'json_object' } },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'json_schema'],
          properties: {
            type: { const: 'json_schema' },
            json_schema: { type: 'object', required: ['name', 'schema'], properties: { schema: { type: 'object' } } },
          },
        },
      ],
    },
    parallel_tool_calls: { type: 'boolean' },
    tool_choice: {
      anyOf: [
        { enum: ['auto', 'none', 'required'] },
        { type: 'object', required: ['type', 'function'], properties: { type: { const: 'function' } } },
      ],
    },
    tools: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'function'],
        properties: {
          type: { const: 'function' },
          function: { type: 'object', required: ['name', 'parameters'], properties: { name: { type: 'string' } } },
        },
      },
    },
    messages: {
      type: 'array',
      minItems: 1,
      items: {
        oneOf: [
          {
            type: 'object',
            additionalProperties: false,
            required: ['role', 'content'],
            properties: { role: { const: 'system' }, content: { type: 'string', minLength: 1 } },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['role', 'content'],
            properties: { role: { const: 'user' }, content: stringOrParts },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['role', 'content'],
            properties: {
              role: { const: 'assistant' },
              content: { type: ['string', 'null'] },
              // an earlier thought, given back to the model (DeepSeek/vLLM convention; the neuron reads it)
              reasoning_content: { type: 'string', minLength: 1 },
              tool_calls: {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'object',
                  required: ['id', 'type', 'function'],
                  properties: {
                    function: {
                      type: 'object',
                      required: ['name', 'arguments'],
                      properties: { arguments: { type: 'string' } },
                    },
                  },
                },
              },
            },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['role', 'tool_call_id', 'content'],
            properties: { role: { const: 'tool' }, tool_call_id: { type: 'string' }, content: { type: 'string' } },
          },
        ],
      },
    },
  },
};
