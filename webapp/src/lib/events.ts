// Server-Sent Events over fetch + ReadableStream, because EventSource cannot send the
// Authorization header. Reconnects with backoff; the owner learns the stream state so that it
// polls only while the stream is down.

export type StreamState = 'connecting' | 'open' | 'down' | 'unauthorized';

export interface StreamHandlers {
  onEvent: (type: string, data: unknown) => void;
  onState: (state: StreamState, info: { reconnected: boolean }) => void;
}

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
// No byte (not even a `:` ping) for this long means the connection is dead even if TCP says not.
const IDLE_TIMEOUT_MS = 75_000;

export class EventStream {
  private abort: AbortController | null = null;
  private stopped = false;
  private backoff = MIN_BACKOFF_MS;
  private lastEventId = '';
  private everOpened = false;
  private everFailed = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly url: string,
    private readonly auth: () => string,
    private readonly handlers: StreamHandlers,
  ) {}

  start() {
    this.stopped = false;
    void this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.idleTimer);
    this.abort?.abort();
  }

  /**
   * The app came back to the foreground (e.g. from the wallet app). Reconnect now if waiting to
   * retry; after a long absence also replace a connection that may have died silently meanwhile.
   */
  resume(hiddenForMs: number) {
    if (this.stopped) return;
    if (this.abort) {
      if (hiddenForMs > 30_000) this.abort.abort();
      return;
    }
    clearTimeout(this.retryTimer);
    void this.connect();
  }

  private armIdle() {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.abort?.abort(), IDLE_TIMEOUT_MS);
  }

  private async connect() {
    if (this.stopped) return;
    const ctrl = new AbortController();
    this.abort = ctrl;
    // Only the very first attempt is 'connecting'; a reconnect stays 'down' until it is open, so
    // the owner keeps its fallback polling meanwhile.
    if (!this.everOpened && !this.everFailed) this.handlers.onState('connecting', { reconnected: false });
    let status = 0;
    try {
      const headers: Record<string, string> = { Authorization: this.auth(), Accept: 'text/event-stream' };
      if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId;
      this.armIdle();
      const res = await fetch(this.url, { headers, signal: ctrl.signal, cache: 'no-store' });
      status = res.status;
      if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.backoff = MIN_BACKOFF_MS;
      this.handlers.onState('open', { reconnected });
      await this.read(res.body);
    } catch {
      /* dropped: fall through to reconnect */
    } finally {
      clearTimeout(this.idleTimer);
      if (this.abort === ctrl) this.abort = null;
    }
    if (this.stopped) return;
    if (status === 401 || status === 403) {
      this.handlers.onState('unauthorized', { reconnected: false });
      return;
    }
    this.everFailed = true;
    this.handlers.onState('down', { reconnected: false });
    const wait = Math.min(this.backoff, MAX_BACKOFF_MS);
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    // Jitter so that many clients do not reconnect in step after a server restart.
    this.retryTimer = setTimeout(() => void this.connect(), wait / 2 + Math.random() * (wait / 2));
  }

  private async read(body: ReadableStream<Uint8Array>) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    let type = '';
    let data: string[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      this.armIdle();
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
        // A lone '\r' at the end of the buffer may be the first half of '\r\n': wait for more.
        if (buf[nl] === '\r' && nl === buf.length - 1) break;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length) this.dispatch(type || 'message', data.join('\n'));
          type = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue; // comment / ping
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? '' : line.slice(colon + 1);
        if (val.startsWith(' ')) val = val.slice(1);
        if (field === 'event') type = val;
        else if (field === 'data') data.push(val);
        else if (field === 'id' && !val.includes('\0')) this.lastEventId = val;
        else if (field === 'retry' && /^\d+$/.test(val)) this.backoff = Math.max(MIN_BACKOFF_MS, Number(val));
      }
    }
  }

  private dispatch(type: string, raw: string) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return;
    }
    this.handlers.onEvent(type, parsed);
  }
}
