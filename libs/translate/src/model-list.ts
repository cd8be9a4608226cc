/**
 * GET /v1/models in Anthropic's shape, for callers that send `anthropic-version` (Claude Code's
 * gateway model discovery, the Anthropic SDK's `models.list()`): `{data: [{type, id, display_name,
 * created_at}], has_more, first_id, last_id}`.
 */
export interface AnthropicModelInfo {
  type: 'model';
  id: string;
  display_name: string;
  created_at: string;
}

export interface AnthropicModelList {
  data: AnthropicModelInfo[];
  has_more: false;
  first_id: string | null;
  last_id: string | null;
}

export function anthropicModelList(models: ReadonlyArray<{ id: string; created: number }>): AnthropicModelList {
  const data = models.map((m) => ({
    type: 'model' as const,
    id: m.id,
    display_name: m.id,
    created_at: new Date(m.created * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  }));
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}
