/**
 * Module tier: Responses `item_reference` items (the Vercel AI SDK's default provider sends them
 * for the reasoning and function calls of a stored response) resolve against this account's stored
 * items; an unknown or another account's id is a 400 naming `input[i].id`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNeuronClient, completion, device, jsonAnswer, model } from './fake-neuron-client';
import { type Harness, gatewayHarness } from './harness';

const KEYS = '[[auth.keys]]\nkey = "sk-a"\naccount_id = "a"\n[[auth.keys]]\nkey = "sk-b"\naccount_id = "b"\n';
const A = { authorization: 'Bearer sk-a' };
const B = { authorization: 'Bearer sk-b' };
const tools = [
  { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
];
const toolCall = {
  ...completion(''),
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        reasoning_content: 'They want the weather.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      finish_reason: 'tool_calls',
    },
  ],
};

let h: Harness;
let fleet: FakeNeuronClient;
beforeAll(async () => {
  fleet = new FakeNeuronClient().node('n', { devices: [device('gpu0', 1000)], models: [model('m', 'gpu0', 40)] });
  h = await gatewayHarness(fleet, '', KEYS);
});
afterAll(() => h.close());

describe('Responses item references', () => {
  it('the AI SDK’s second step: references to the stored reasoning and call, then the call’s output', async () => {
    fleet.answers.set('n', () => jsonAnswer(200, toolCall));
    const first = await h.post('/v1/responses', { model: 'm', input: 'Weather in Paris?', tools }, A);
    expect(first.status, first.text).toBe(200);
    const out = first.json().output as Array<{ type: string; id: string; call_id?: string }>;
    const call = out.find((i) => i.type === 'function_call')!;
    const reasoning = out.find((i) => i.type === 'reasoning')!;
    expect(call.id).toBeTruthy();
    expect(reasoning.id).toBeTruthy();

    fleet.answers.set('n', () => jsonAnswer(200, completion('Sunny.')));
    const second = await h.post(
      '/v1/responses',
      {
        model: 'm',
        tools,
        input: [
          { role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }] },
          { type: 'item_reference', id: reasoning.id },
          { type: 'item_reference', id: call.id },
          { type: 'function_call_output', call_id: call.call_id, output: '{"sky":"sunny"}' },
        ],
      },
      A,
    );
    expect(second.status, second.text).toBe(200);
    const sent = fleet.forwarded.at(-1)!.body as { messages: Array<Record<string, unknown>> };
    const assistant = sent.messages.find((m) => m.role === 'assistant')!;
    expect(assistant.tool_calls).toEqual([
      { id: call.call_id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ]);
    expect(assistant.reasoning_content).toBe('They want the weather.');
    expect(sent.messages.at(-1)).toMatchObject({
      role: 'tool',
      tool_call_id: call.call_id,
      content: '{"sky":"sunny"}',
    });
    expect(second.json().output.at(-1).content[0].text).toBe('Sunny.');
  });

  it('an unknown id, or another account’s, is a 400 naming input[i].id', async () => {
    fleet.answers.set('n', () => jsonAnswer(200, toolCall));
    const first = await h.post('/v1/responses', { model: 'm', input: 'Weather?', tools }, A);
    const call = (first.json().output as Array<{ type: string; id: string }>).find((i) => i.type === 'function_call')!;
    for (const [id, who] of [
      ['fc_does_not_exist', A],
      [call.id, B],
    ] as const) {
      const r = await h.post('/v1/responses', { model: 'm', input: [{ type: 'item_reference', id }] }, who);
      expect(r.status).toBe(400);
      expect(r.json().error).toMatchObject({ code: 'invalid_body', param: 'input[0].id' });
      expect(r.json().error.message).toContain(`no stored item '${id}'`);
    }
    const bad = await h.post('/v1/responses', { model: 'm', input: [{ type: 'item_reference' }] }, A);
    expect(bad.json().error).toMatchObject({ code: 'invalid_body', param: 'input[0].id' });
  });
});
