/**
 * NotificationClient: a user's notifications from notification-stream, live, in a few lines.
 *
 *   import { NotificationClient } from '/js/notification-client.js';
 *   const client = new NotificationClient({
 *     baseUrl: '',                                   // where the service lives; '' = this origin
 *     history: 20,                                   // newest rows to show on open (0: none)
 *     onNotification: (n, { history }) => show(n),   // each notification once, by id
 *     onStatus: (s) => indicator(s),                 // { state, intervalMs, retryInMs, leader }
 *   });
 *   client.close();                                  // when the page no longer wants them
 *
 * States: 'connecting' (first start), 'live' (a stream is open), 'polling' (every
 * status.intervalMs), 'reconnecting' (next try in status.retryInMs), 'offline' (the browser says so).
 *
 * How it works, and why:
 * - GET /api/config says whether the server streams (ENABLE_SSE): stream /events, else poll
 *   /api/notifications every pollIntervalMs. Both take and return the same opaque cursor, kept in
 *   sessionStorage, so a reload resumes where the page was and a switch of mode loses nothing.
 * - The server delivers at least once (a resume may repeat the batch it was cut in); every row
 *   carries its id, and the client drops ids it has already shown: exactly once on the screen.
 * - The stream is read with fetch() and parsed here rather than with EventSource. The wire format
 *   is plain SSE, but EventSource hides two things this client needs: comment lines (the server's
 *   heartbeats, which feed the watchdog) and the HTTP status (503 "sse_disabled" means: poll now;
 *   400 "invalid_cursor" means: start again). @microsoft/fetch-event-source does the same for the
 *   same reasons. Resumes pass ?cursor= (no Last-Event-ID header, so no CORS preflight).
 * - A watchdog ends a stream that sent nothing (event, heartbeat or cursor frame) for 1.5 x the
 *   server's heartbeat: a silently dead connection (sleep, Wi-Fi change) would otherwise look live.
 * - Reconnects back off exponentially with jitter, capped, so a restart is not a stampede. A
 *   stream that answers but never streams (a proxy that buffers or blocks SSE) counts as an SSE
 *   failure: after a few the client polls instead and tries SSE again later.
 * - One connection per browser, not per tab (browsers allow 6 HTTP/1.1 connections per origin):
 *   tabs elect a leader with the Web Locks API; the leader holds the stream or the polling loop and
 *   passes rows, cursors and status to the other tabs over a BroadcastChannel. Every tab keeps the
 *   cursor the leader last sent, so when the leader's tab closes the next tab resumes from it.
 *   Without Web Locks (an insecure http: origin other than localhost) every tab connects alone.
 */

const DEFAULTS = {
  baseUrl: '',
  history: 0,
  onNotification: () => {},
  onStatus: () => {},
  maxBackoffMs: 30_000, // the longest wait between two tries
  sseFailuresBeforePolling: 3, // streams that answered but did not stream, in a row
  sseRetryAfterMs: 5 * 60_000, // after falling back (or when SSE is off), how long to poll before trying SSE again
  seenIdsKept: 5_000, // ids remembered for de-duplication; repeats only happen around a resume
};

export class NotificationClient {
  #options;
  #base;
  #key;
  #config = null;
  #configReadAt = 0;
  #seen = new Set();
  #status = { state: 'connecting', leader: false };
  #channel = null;
  #leading = false;
  #ready = false;
  #early = []; // messages from the leader that arrived before this tab had its history
  #stop = new AbortController();

  constructor(options = {}) {
    this.#options = { ...DEFAULTS, ...options };
    this.#base = String(this.#options.baseUrl || location.origin).replace(/\/+$/, '');
    this.#key = 'notification-stream:' + this.#base;
    this.#start();
  }

  /** The last status reported to onStatus. */
  get status() {
    return { ...this.#status };
  }

  /** Ends the stream or polling loop and, if this tab led, hands the connection to another tab. */
  close() {
    this.#stop.abort();
    this.#channel?.close();
  }

  async #start() {
    const signal = this.#stop.signal;
    this.#report({ state: 'connecting' });
    if ('BroadcastChannel' in window) {
      // Open before reading history, so nothing the leader sends in between is missed.
      this.#channel = new BroadcastChannel(this.#key);
      this.#channel.onmessage = (message) => (this.#ready ? this.#fromLeader(message.data) : this.#early.push(message.data));
    }
    try {
      await this.#openInbox(signal);
    } catch {
      return; // closed while starting
    }
    this.#ready = true;
    this.#early.splice(0).forEach((message) => this.#fromLeader(message));

    if (!('locks' in navigator) || !this.#channel) {
      this.#lead(signal);
      return;
    }
    this.#channel.postMessage({ type: 'hello' }); // a leader answers with its status
    // Held until #lead returns (the client closes) or the tab goes away, then the next tab gets it.
    navigator.locks.request(this.#key, { signal }, () => this.#lead(signal)).catch(() => {
      // the request was aborted by close() before this tab got the lock
    });
  }

  /** Config, the newest rows (history) and, on a first visit, a cursor to go live from. */
  async #openInbox(signal) {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#readConfig(signal);
        const stored = this.#cursor();
        if (stored && !this.#options.history) {
          return;
        }
        const page = await this.#json(`/api/notifications?limit=${Math.max(1, this.#options.history)}`, signal);
        if (this.#options.history) {
          page.notifications.forEach((n) => this.#accept(n, true));
        }
        if (!stored) {
          this.#saveCursor(page.cursor);
        }
        return;
      } catch (failure) {
        if (signal.aborted) {
          throw failure;
        }
        await this.#waitBeforeRetry(attempt, signal);
      }
    }
  }

  /** The leader's life, one loop: connect (stream or poll), see how it ended, wait, again. */
  async #lead(signal) {
    this.#leading = true;
    let attempt = 0; // failed tries in a row, for the backoff
    let sseFailures = 0; // streams in a row that answered but did not stream
    let pollUntil = 0; // after a fallback to polling: when to try SSE again
    while (!signal.aborted) {
      try {
        if (!navigator.onLine) {
          this.#report({ state: 'offline' });
          await waitFor(window, 'online', signal);
          attempt = 0;
          continue;
        }
        if (!this.#config.sseEnabled || Date.now() < pollUntil) {
          if (!(await this.#poll(signal))) {
            await this.#waitBeforeRetry(attempt++, signal);
            continue;
          }
          attempt = 0;
          this.#report({ state: 'polling', intervalMs: this.#config.pollIntervalMs });
          await sleep(this.#config.pollIntervalMs, signal, 'online');
          if (Date.now() - this.#configReadAt > this.#options.sseRetryAfterMs) {
            await this.#readConfig(signal).catch(() => {}); // SSE may be on again; the interval may have changed
          }
          continue;
        }
        const end = await this.#stream(signal);
        switch (end.kind) {
          case 'ended': // it streamed, then the server or the network ended it: come back
            attempt = 0;
            sseFailures = 0;
            this.#report({ state: 'reconnecting', retryInMs: end.retryMs });
            await sleep(end.retryMs, signal);
            break;
          case 'disabled': // 503 sse_disabled: the server polls; do so at once
            this.#config = { ...this.#config, sseEnabled: false, pollIntervalMs: end.pollIntervalMs ?? this.#config.pollIntervalMs };
            this.#configReadAt = Date.now();
            break;
          case 'invalid_cursor': // not a cursor of this database (restored elsewhere?): start from now
            sessionStorage.removeItem(this.#key);
            await this.#openInbox(signal);
            break;
          case 'refused': // an answer, but no stream: a proxy in the way, or the server is unwell
            if (++sseFailures >= this.#options.sseFailuresBeforePolling) {
              sseFailures = 0;
              pollUntil = Date.now() + this.#options.sseRetryAfterMs;
              break; // poll at once
            }
            await this.#waitBeforeRetry(attempt++, signal);
            break;
          default: // 'network': no answer at all (server down, restarting)
            await this.#waitBeforeRetry(attempt++, signal);
        }
      } catch (failure) {
        if (signal.aborted) {
          break; // close(): the loop ends and the lock goes to the next tab
        }
        console.error('notification-client:', failure); // a bug, not the network: do not spin
        await sleep(this.#options.maxBackoffMs, signal).catch(() => {});
      }
    }
    this.#leading = false;
  }

  /**
   * One SSE connection, from open to end; resolves with how it ended:
   * ended (after streaming), disabled, invalid_cursor, refused (answered, never streamed), network.
   */
  async #stream(signal) {
    const connection = new AbortController();
    const abort = () => connection.abort();
    signal.addEventListener('abort', abort);
    window.addEventListener('offline', abort);
    const watchdogMs = 1500 * this.#config.heartbeatSeconds;
    let watchdog;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(abort, watchdogMs);
    };
    let answered = false;
    let chunks = 0;
    const parser = new SseParser((event) => this.#onEvent(event));
    try {
      arm();
      const cursor = this.#cursor();
      const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
      const response = await fetch(this.#base + '/events' + query, {
        headers: { Accept: 'text/event-stream' },
        credentials: 'include',
        cache: 'no-store',
        signal: connection.signal,
      });
      answered = true;
      const type = response.headers.get('Content-Type') || '';
      if (!response.ok || !type.startsWith('text/event-stream')) {
        const error = await response.json().catch(() => ({}));
        if (response.status === 503 && error.error === 'sse_disabled') {
          return { kind: 'disabled', pollIntervalMs: error.pollIntervalMs };
        }
        if (response.status === 400 && error.error === 'invalid_cursor') {
          return { kind: 'invalid_cursor' };
        }
        return { kind: 'refused' };
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        arm(); // any bytes: an event, a cursor frame or a heartbeat comment
        if (chunks++ === 0) {
          this.#report({ state: 'live' });
        }
        parser.push(value);
      }
    } catch (failure) {
      if (signal.aborted) {
        throw failure;
      }
      // the watchdog, the browser going offline, or the network
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener('abort', abort);
      window.removeEventListener('offline', abort);
      connection.abort(); // frees the response body if we stopped reading early
    }
    if (chunks > 0) {
      // The server's "retry:" (jittered by the server when it shuts down), jittered again here.
      return { kind: 'ended', retryMs: Math.round(parser.retryMs * (0.5 + Math.random() / 2)) };
    }
    return { kind: answered ? 'refused' : 'network' };
  }

  #onEvent({ type, data, id }) {
    if (type === 'notification') {
      this.#accept(JSON.parse(data), false);
    }
    // The id rides on the last event of a batch (after its rows) and on "cursor" frames.
    if (id) {
      this.#saveCursor(id);
    }
  }

  /** Polls until the server has nothing more; false when a request failed. */
  async #poll(signal) {
    try {
      for (;;) {
        const cursor = this.#cursor();
        const query = cursor ? `cursor=${encodeURIComponent(cursor)}&limit=500` : 'limit=100';
        const page = await this.#json('/api/notifications?' + query, signal);
        page.notifications.forEach((n) => this.#accept(n, false));
        this.#saveCursor(page.cursor);
        if (!page.more) {
          return true;
        }
      }
    } catch (failure) {
      if (signal.aborted) {
        throw failure;
      }
      if (failure.error === 'invalid_cursor') {
        sessionStorage.removeItem(this.#key);
      }
      return false;
    }
  }

  async #readConfig(signal) {
    this.#config = await this.#json('/api/config', signal);
    this.#configReadAt = Date.now();
  }

  async #json(path, signal) {
    const response = await fetch(this.#base + path, { credentials: 'include', cache: 'no-store', signal });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw Object.assign(new Error(body.message || `HTTP ${response.status}`), body);
    }
    return body;
  }

  /** Capped exponential backoff with "equal jitter": between half and all of min(cap, 1 s x 2^attempt). */
  async #waitBeforeRetry(attempt, signal) {
    const ceiling = Math.min(this.#options.maxBackoffMs, 1000 * 2 ** Math.min(attempt, 16));
    const wait = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.#report(navigator.onLine ? { state: 'reconnecting', retryInMs: wait } : { state: 'offline' });
    await sleep(wait, signal, 'online');
  }

  /** Shows a notification once: the first time its id is seen, in this tab. */
  #accept(notification, history) {
    if (this.#seen.has(notification.id)) {
      return;
    }
    this.#seen.add(notification.id);
    if (this.#seen.size > this.#options.seenIdsKept) {
      this.#seen.delete(this.#seen.values().next().value); // a Set iterates oldest first
    }
    if (this.#leading && !history) {
      this.#channel?.postMessage({ type: 'notification', notification });
    }
    call(this.#options.onNotification, notification, { history });
  }

  #cursor() {
    return sessionStorage.getItem(this.#key);
  }

  #saveCursor(cursor) {
    sessionStorage.setItem(this.#key, cursor);
    if (this.#leading) {
      this.#channel?.postMessage({ type: 'cursor', cursor });
    }
  }

  #report(status) {
    this.#status = { ...status, leader: this.#leading };
    if (this.#leading) {
      this.#channel?.postMessage({ type: 'status', status: this.#status });
    }
    call(this.#options.onStatus, this.status);
  }

  #fromLeader(message) {
    if (this.#leading) {
      if (message.type === 'hello') {
        this.#channel.postMessage({ type: 'status', status: this.#status });
      }
      return;
    }
    switch (message.type) {
      case 'notification':
        this.#accept(message.notification, false);
        break;
      case 'cursor':
        sessionStorage.setItem(this.#key, message.cursor); // where this tab resumes if it becomes leader
        break;
      case 'status':
        this.#status = { ...message.status, leader: false };
        call(this.#options.onStatus, this.status);
        break;
    }
  }
}

/**
 * The Server-Sent Events wire format, as the HTML standard parses it
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
 */
class SseParser {
  retryMs = 3000;
  #partial = '';
  #type = '';
  #data = [];
  #id = '';

  constructor(dispatch) {
    this.dispatch = dispatch;
  }

  push(text) {
    let buffer = this.#partial + text;
    // A trailing CR may be half of a CRLF: keep it for the next chunk.
    const keep = buffer.endsWith('\r') ? 1 : 0;
    const lines = buffer.slice(0, buffer.length - keep).split(/\r\n|\r|\n/);
    this.#partial = lines.pop() + buffer.slice(buffer.length - keep);
    for (const line of lines) {
      this.#line(line);
    }
  }

  #line(line) {
    if (line === '') {
      if (this.#data.length > 0) {
        this.dispatch({ type: this.#type || 'message', data: this.#data.join('\n'), id: this.#id });
      }
      this.#type = '';
      this.#data = [];
      this.#id = '';
      return;
    }
    if (line.startsWith(':')) {
      return; // a comment: the heartbeat
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    if (field === 'event') {
      this.#type = value;
    } else if (field === 'data') {
      this.#data.push(value);
    } else if (field === 'id' && !value.includes('\0')) {
      this.#id = value;
    } else if (field === 'retry' && /^\d+$/.test(value)) {
      this.retryMs = Number(value);
    }
  }
}

/** Runs a page's callback; an exception there must not break the connection. */
function call(callback, ...args) {
  try {
    callback(...args);
  } catch (failure) {
    console.error('notification-client: callback failed:', failure);
  }
}

/** Resolves after ms, or at once when wakeOn fires on window; rejects when signal aborts. */
function sleep(ms, signal, wakeOn) {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', aborted);
      if (wakeOn) window.removeEventListener(wakeOn, done);
      resolve();
    };
    const aborted = () => {
      clearTimeout(timer);
      if (wakeOn) window.removeEventListener(wakeOn, done);
      reject(signal.reason);
    };
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', aborted, { once: true });
    if (wakeOn) window.addEventListener(wakeOn, done, { once: true });
  });
}

function waitFor(target, event, signal) {
  return sleep(2 ** 31 - 1, signal, event);
}
