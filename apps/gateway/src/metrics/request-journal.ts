/** The last requests (their log lines) and fleet events (evictions) the web page shows; bounded, in memory. */
import { Injectable } from '@nestjs/common';

const KEEP = 100;

@Injectable()
export class RequestJournal {
  private readonly requests: Array<Record<string, unknown>> = [];
  private readonly events: Array<{ time: string; text: string }> = [];

  request(line: Record<string, unknown>): void {
    this.requests.unshift(line);
    if (this.requests.length > KEEP) this.requests.pop();
  }

  event(text: string): void {
    this.events.unshift({ time: new Date().toISOString(), text });
    if (this.events.length > KEEP) this.events.pop();
  }

  view() {
    return { requests: this.requests, events: this.events };
  }
}
