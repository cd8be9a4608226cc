/** The models.toml catalogue as the router and evictor read it; replaced whole on a reload. */
import { type ModelEntry, type ModelsConfig, residencyPriority } from '@app/core';

export class Catalogue {
  private byId: Map<string, ModelEntry>;

  constructor(private config: ModelsConfig) {
    this.byId = new Map(config.models.map((m) => [m.id, m]));
  }

  /** A reloaded, already validated models.toml: every later decision reads it. */
  replace(config: ModelsConfig): void {
    this.config = config;
    this.byId = new Map(config.models.map((m) => [m.id, m]));
  }

  /** One level of aliasing: the alias's target, or the name itself. */
  resolve(name: string): string {
    return Object.hasOwn(this.config.aliases, name) ? this.config.aliases[name]! : name;
  }

  get(id: string): ModelEntry | undefined {
    return this.byId.get(id);
  }

  entries(): ModelEntry[] {
    return this.config.models;
  }

  aliases(): Array<[string, string]> {
    return Object.entries(this.config.aliases);
  }

  priority(id: string): number {
    const m = this.byId.get(id);
    return m ? residencyPriority(m) : 100;
  }
}
