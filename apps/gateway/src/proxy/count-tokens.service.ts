/** Anthropic's count_tokens: the exact count from the neuron's tokenizer, under the call deadline, stopping when the client leaves. */
import { Injectable } from '@nestjs/common';
import { DrainService } from '../lifecycle/drain.service';
import { RouterService } from '../router/router.service';
import { TranslationService } from '../translation/translation.service';
import { NeuronClient } from '../upstream/neuron-client';
import type { Client } from './client';
import { RequestScope } from './request-scope';

@Injectable()
export class CountTokensService {
  constructor(
    private readonly translation: TranslationService,
    private readonly router: RouterService,
    private readonly client: NeuronClient,
    private readonly drain: DrainService,
  ) {}

  async count(raw: unknown, client: Client): Promise<{ input_tokens: number }> {
    const openai = this.translation.countTokens(raw);
    const scope = new RequestScope(client, (stop) => this.drain.enter(stop));
    try {
      const route = await this.router.route(openai.model, { signal: scope.signal });
      const body = {
        model: route.modelId,
        messages: openai.messages,
        ...(openai.tools ? { tools: openai.tools } : {}),
      };
      const out = await this.client.tokenize(route.node, body, { signal: scope.signal });
      return { input_tokens: out.count };
    } finally {
      scope.close();
    }
  }
}
