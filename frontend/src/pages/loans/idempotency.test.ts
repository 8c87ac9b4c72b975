import { describe, expect, it } from "vitest";
import { IdempotentSubmission, newIdempotencyKey } from "./idempotency";

function keys() {
  let n = 0;
  return () => `key-${++n}`;
}

describe("IdempotentSubmission", () => {
  it("sends the same key on a retry after a failure", async () => {
    const sent: string[] = [];
    const submission = new IdempotentSubmission<string>(keys());
    await expect(
      submission.submit(async (key) => {
        sent.push(key);
        throw new Error("network");
      }),
    ).rejects.toThrow("network");
    await submission.submit(async (key) => {
      sent.push(key);
      return "posted";
    });
    expect(sent).toEqual(["key-1", "key-1"]);
  });

  it("sends once on a double click: the second waits for the first answer", async () => {
    const sent: string[] = [];
    let answer: (value: string) => void = () => undefined;
    const submission = new IdempotentSubmission<string>(keys());
    const send = (key: string) => {
      sent.push(key);
      return new Promise<string>((resolve) => {
        answer = resolve;
      });
    };
    const first = submission.submit(send);
    const second = submission.submit(send);
    expect(submission.pending).toBe(true);
    answer("posted");
    expect(await first).toBe("posted");
    expect(await second).toBe("posted");
    expect(sent).toEqual(["key-1"]);
    expect(submission.pending).toBe(false);
  });

  it("keeps its key until renewed, then uses a new one", async () => {
    const submission = new IdempotentSubmission<string>(keys());
    expect(submission.key).toBe("key-1");
    await submission.submit(async () => "posted");
    expect(submission.key).toBe("key-1");
    submission.renew();
    expect(submission.key).toBe("key-2");
  });

  it("makes random UUID keys by default", () => {
    const a = new IdempotentSubmission<string>().key;
    const b = newIdempotencyKey();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });
});
