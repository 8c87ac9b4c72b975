/** One idempotency key per attempt to post something once (a repayment): generated when
 * the dialog opens and kept across retries and double clicks, so the server, which applies
 * the same key and content once, posts once. A second submit while the first is still in
 * flight does not send again: it waits for the same answer. */

/** A fresh key (a v4 UUID from the browser's CSPRNG). */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

export class IdempotentSubmission<R> {
  private current: string;
  private inFlight: Promise<R> | null = null;

  constructor(private readonly makeKey: () => string = newIdempotencyKey) {
    this.current = makeKey();
  }

  /** The key every attempt of this submission sends. */
  get key(): string {
    return this.current;
  }

  /** Whether an attempt is waiting for its answer. */
  get pending(): boolean {
    return this.inFlight !== null;
  }

  /** Send with this submission's key; while an attempt is in flight, its answer. */
  submit(send: (key: string) => Promise<R>): Promise<R> {
    if (this.inFlight) return this.inFlight;
    const attempt = send(this.current).finally(() => {
      this.inFlight = null;
    });
    this.inFlight = attempt;
    return attempt;
  }

  /** Start a new submission (a new key): after one was posted, for the next payment. */
  renew(): void {
    this.current = this.makeKey();
  }
}
