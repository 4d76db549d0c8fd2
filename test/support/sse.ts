export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** A real SSE client over fetch: collects messages (and comments) until closed. */
export class SseClient {
  readonly messages: SseMessage[] = [];
  private readonly controller = new AbortController();
  private done?: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async open(): Promise<this> {
    const response = await fetch(this.url, { headers: { accept: 'text/event-stream', ...this.headers }, signal: this.controller.signal });
    if (response.status !== 200 || !response.body) throw new Error(`stream answered ${response.status}: ${await response.text()}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    this.done = (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            this.messages.push(parse(buffer.slice(0, end)));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        // aborted by close()
      }
    })();
    return this;
  }

  events(): SseMessage[] {
    return this.messages.filter((message) => message.id !== undefined);
  }

  async waitFor(predicate: (messages: SseMessage[]) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      if (Date.now() > deadline) throw new Error(`SSE condition not met; got ${JSON.stringify(this.messages)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}

function parse(frame: string): SseMessage {
  const message: SseMessage = {};
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) message.comment = line.slice(1).trim();
    else {
      const [field, ...rest] = line.split(':');
      const value = rest.join(':').replace(/^ /, '');
      if (field === 'id' || field === 'event' || field === 'data') message[field] = value;
    }
  }
  return message;
}
