/** What one request's answer has been so far, across the replicas that served it, and its client's lazily opened stream. */
import type { Reservation } from '../budgets/budget.service';
import type { EventSink } from './client';
import type { Exchange } from './exchange';
import type { Outcome } from './request-recorder.service';
import type { Transcript } from './transcript';

/** The client's event stream, opened on first need (a load to wait for, or the upstream's first byte). */
export class LazySink {
  opened: EventSink | undefined;

  constructor(private readonly create: () => EventSink) {}

  open(): EventSink {
    return (this.opened ??= this.create());
  }
}

/** What a request's answer has been so far, across the replicas that served it. */
export class Progress {
  /** Nodes whose leg failed with a fault: each one a resume. */
  readonly failed: string[] = [];
  /** How the last leg ended (none: no neuron took the request). */
  outcome: Outcome | null = null;

  constructor(
    readonly allowance: number,
    /** A streamed chat answer as its client was sent it (null: nothing to continue from). */
    readonly transcript: Transcript | null,
    private readonly reservation: Reservation | null,
  ) {}

  /**
   * Ends the budget reservation with the answer's usage (none: released). Called before the client
   * has the end of its answer, so its next request sees the budget settled; once only.
   */
  settle(): void {
    const u = this.outcome?.usage;
    this.reservation?.settle(u ? u.prompt_tokens + u.completion_tokens : 0);
  }

  get resumes(): number {
    return this.failed.length;
  }

  get canResume(): boolean {
    const t = this.transcript;
    return this.resumes < this.allowance && !t?.finished && !t?.overflowed;
  }

  /** The request for the next replica: the continuation of what was sent, or the request again. */
  next(x: Exchange): Exchange {
    const t = this.transcript;
    return t?.started ? { ...x, body: t.continuation(x.body as Record<string, unknown>), raw: undefined } : x;
  }
}
