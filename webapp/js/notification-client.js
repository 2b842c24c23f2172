/**
 * NotificationClient: a user's notifications from notification-stream, live, in a few lines.
 *
 *   import { NotificationClient } from '/js/notification-client.js';
 *   const client = new NotificationClient({
 *     baseUrl: '',                                   // where the service lives; '' = this origin
 *     history: 20,                                   // newest rows to show on open (0: none)
 *     onNotifications: (list, { history }) => show(list), // new notifications, oldest first, each once, in batches
 *     onStatus: (s) => indicator(s),                 // { state, intervalMs, retryInMs, leader }
 *     onRead: (ids) => markShown(ids),               // ids read on any device (may repeat)
 *     getToken: () => myApp.freshToken(),            // optional: sign in with your application's tokens
 *   });
 *   await client.markRead(id);                       // one; onRead([id]) in every tab of this browser
 *   const { marked } = await client.markAllRead();   // all the client has seen, not what arrives meanwhile
 *   const unread = await client.unreadCount();       // the server's count, for a badge
 *   const rows = await client.older(oldestId, 50);   // "load older": the rows before one the page shows
 *   client.close();                                  // when the page no longer wants them
 *
 * States: 'connecting' (first start), 'live' (a stream is open and has caught up), 'polling' (every
 * status.intervalMs), 'reconnecting' (next try in status.retryInMs), 'offline' (the browser says so),
 * 'unauthenticated' (the service answered 401: sign in again; the client retries every 5 minutes and
 * whenever the tab gets focus).
 *
 * How it works, and why:
 * - GET /api/config says whether the server streams to this user (ENABLE_SSE and the rollout
 *   share): stream /events, else poll /api/notifications every pollIntervalMs. Both take and return
 *   the same opaque cursor, kept in sessionStorage, so a reload resumes where the page was and a
 *   switch of mode loses nothing. The rollout can change while the page is open: a stream whose
 *   user falls out gets a "config" event ({ sseEnabled: false }) and ends, and the client polls at
 *   once from its cursor; every poll answer says "sseEnabled", so a poller who falls in streams
 *   right after that poll.
 * - The server delivers at least once (a resume may repeat the batch it was cut in); every row
 *   carries its id, and the client drops ids it has already shown: exactly once on the screen.
 * - Rows reach the page in batches (onNotifications): a poll's page, the history, or what a stream
 *   brought within one short tick. A bulk load of 100,000 rows is then a few hundred calls, not
 *   100,000, and a page can draw only what it shows. The cursor is saved once the page has a batch,
 *   so a reload never skips rows the page did not get.
 * - The stream is the browser's EventSource (withCredentials, for use from another origin). It
 *   listens for "notification" (a row), "cursor" (sent right after the replay and with every
 *   heartbeat: the first one means caught up, 'live') and "read" (ids read on one of the user's
 *   devices, on any instance); event.lastEventId is the cursor to keep. Each new EventSource resumes
 *   with ?cursor= (a plain GET, no CORS preflight). Polls bring the same marks as "reads".
 * - Read state: every row says "read". markRead/markAllRead are plain POSTs (same origin or a
 *   listed one, no body, so no preflight; keepalive, so a click on a link that leaves the page still
 *   marks it). The server echoes every mark to all the user's streams; markRead also reports its id
 *   at once to this browser's tabs, so a polling page need not wait for its next poll.
 * - EventSource would reconnect by itself, but blindly: at its own pace, and forever on a 503 or a
 *   401. So on its first "error" the client closes it and decides. It also hides the HTTP status:
 *   a stream that failed before delivering anything is explained with cheap requests instead.
 *   GET /api/config fails: the service is down (back off) or says 401 (unauthenticated); it says
 *   sseEnabled false: poll at once. GET /api/notifications?cursor=<saved>&limit=1 answers 400
 *   invalid_cursor: drop the cursor and start fresh. Otherwise something refused the stream itself
 *   (a proxy, a stream limit): an SSE failure.
 * - A watchdog ends a stream that sent no event (a row, or the cursor event that comes with every
 *   heartbeat) for 1.5 x the server's heartbeat: a silently dead connection (sleep, Wi-Fi change)
 *   would otherwise look live.
 * - A stream that worked and ended is reopened after a short jittered wait (reconnectAfterMs).
 *   Failed tries back off exponentially with jitter, capped, so a restart is not a stampede. A
 *   stream that never delivers (a proxy that buffers or blocks SSE) counts as an SSE failure:
 *   after a few in a row the client polls instead and tries SSE again later.
 * - One connection per browser, not per tab (browsers allow 6 HTTP/1.1 connections per origin):
 *   tabs elect a leader with the Web Locks API; the leader holds the stream or the polling loop and
 *   passes rows, cursors and status to the other tabs over a BroadcastChannel. Every tab keeps the
 *   cursor the leader last sent, so when the leader's tab closes the next tab resumes from it.
 *   Without Web Locks (an insecure http: origin other than localhost) every tab connects alone.
 * - The leader reports what its transport went through (opened, failed and why, fell back to
 *   polling, back on SSE, resumed) to POST /api/client-events, batched: at most one request every
 *   reportEveryMs, and the rest with navigator.sendBeacon when the page goes away. That is how the
 *   operator learns what proxies do to SSE, and what the service's automatic brake judges by.
 * - With getToken (an async function returning a fresh token from the page's own application), the
 *   client signs in with tokens: it turns each token into the service's cookie (POST /api/session,
 *   the only way an EventSource can carry one) before its first request and whenever the one it
 *   has is about to expire. Renewals come from the stream's "token-expiring" event (at a random
 *   moment within half the warning, so that thousands of tokens that expire in the same second do
 *   not all renew at once; then the stream reconnects from its cursor), from a call answered 401
 *   (renewed once, then tried again), and before any request once the known expiry is near, which
 *   covers a tab that slept, a page restored from the back/forward cache and a polling client. A
 *   getToken that fails or gives a token the service refuses is reported as 'unauthenticated',
 *   never papered over.
 */

const DEFAULTS = {
  baseUrl: '',
  history: 0,
  onNotification: () => {},
  onNotifications: null, // (list, { history }); default: onNotification for each
  onStatus: () => {},
  onRead: () => {},
  getToken: null, // async () => a fresh token (a JWT your application minted), or null: the container's sign-in
  maxBackoffMs: 30_000, // the longest wait between two tries
  reconnectAfterMs: 3_000, // after a stream that worked ends: between half and all of this (jitter spreads a restart's reconnects)
  sseFailuresBeforePolling: 3, // streams in a row refused by something other than the service's own answers
  sseRetryAfterMs: 5 * 60_000, // after falling back (or when SSE is off), how long to poll before trying SSE again; also the retry after a 401
  seenIdsKept: 5_000, // ids remembered for de-duplication; repeats only happen around a resume
  batchMs: 50, // a stream's rows are gathered this long into one onNotifications call
  reportEveryMs: 5_000, // transport events are sent in one request at most this often
};

/** The most transport events one report holds (the server takes up to 50); older ones are dropped first. */
const REPORT_MAX = 50;

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
  #validCursor = null; // the saved cursor the server last accepted, so a failing stream checks it once
  #renewing = null; // the token renewal in flight, shared by everyone who needs one
  #renewals = 0; // renewals that succeeded: a caller can tell one happened while it waited
  #tokenExp = 0; // when the cookie's token expires (epoch ms; 0: none yet)
  #restart = null; // ends the open stream so that #lead reconnects at once (after a renewal, a wake-up)
  #events = []; // transport events not yet reported
  #reportTimer = null;

  constructor(options = {}) {
    this.#options = { ...DEFAULTS, ...options };
    this.#base = String(this.#options.baseUrl || location.origin).replace(/\/+$/, '');
    this.#key = 'notification-stream:' + this.#base;
    this.#start();
  }

  /** The last status reported to onStatus; leader says whether this tab holds the connection now. */
  get status() {
    return { ...this.#status, leader: this.#leading };
  }

  /** Marks one notification read for this user, on every device; onRead([id]) in this browser's tabs. */
  async markRead(id) {
    await this.#post(`/api/notifications/${encodeURIComponent(id)}/read`);
    this.#read([id], true);
  }

  /**
   * Marks read everything this client has seen (up to its cursor): a row that arrives meanwhile
   * stays unread. Resolves to { marked }; the ids come back through onRead as the server echoes them.
   */
  async markAllRead() {
    const cursor = this.#cursor();
    if (!cursor) {
      throw new Error('notification-client: nothing seen yet');
    }
    return (await this.#post(`/api/notifications/read-all?cursor=${encodeURIComponent(cursor)}`)).json();
  }

  /**
   * Up to limit notifications older than the one with id beforeId (the oldest a page shows), newest
   * last like every list here; fewer than limit means there are no more. Not passed to onNotifications.
   */
  async older(beforeId, limit = 50) {
    return (await this.#json(`/api/notifications?before=${encodeURIComponent(beforeId)}&limit=${limit}`, this.#stop.signal)).notifications;
  }

  /** The user's unread notifications, as the server counts them now. */
  async unreadCount() {
    return (await this.#json('/api/notifications/unread-count', this.#stop.signal)).unread;
  }

  /** Ends the stream or polling loop and, if this tab led, hands the connection to another tab. */
  close() {
    this.#stop.abort();
    this.#channel?.close();
    this.#flushEvents(true);
  }

  async #start() {
    const signal = this.#stop.signal;
    this.#report({ state: 'connecting' });
    // The page going away (closed, navigated, put in the background on a phone): report what is left.
    const leaving = () => document.visibilityState === 'hidden' && this.#flushEvents(true);
    document.addEventListener('visibilitychange', leaving, { signal });
    window.addEventListener('pagehide', () => this.#flushEvents(true), { signal });
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
    if (this.#options.getToken) {
      this.#watchForWakeUps(signal);
    }

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
          this.#accept(page.notifications, true);
        }
        if (!stored) {
          this.#saveCursor(page.cursor);
        }
        return;
      } catch (failure) {
        if (signal.aborted) {
          throw failure;
        }
        if (failure.status === 401) {
          await this.#signedOut(signal);
          attempt = -1;
          continue;
        }
        await this.#waitBeforeRetry(attempt, signal);
      }
    }
  }

  /** The leader's life, one loop: connect (stream or poll), see how it ended, wait, again. */
  async #lead(signal) {
    this.#leading = true;
    let attempt = 0; // failed tries in a row, for the backoff
    let sseFailures = 0; // streams in a row that were refused or never delivered
    let pollUntil = 0; // after a fallback to polling: when to try SSE again
    let streamed = false; // a stream of this leader has delivered: the next that does is a resume
    let polled = false; // polling since the last stream: the next stream that delivers is a return to SSE
    let lastFailure = 'http_status'; // how the last stream failed, for the fallback's report
    while (!signal.aborted) {
      try {
        if (!navigator.onLine) {
          this.#report({ state: 'offline' });
          await waitFor(window, 'online', signal);
          attempt = 0;
          continue;
        }
        if (!this.#config.sseEnabled || Date.now() < pollUntil) {
          const failure = await this.#poll(signal);
          if (failure?.status === 401) {
            await this.#signedOut(signal);
            continue;
          }
          if (failure) {
            await this.#waitBeforeRetry(attempt++, signal);
            continue;
          }
          attempt = 0;
          polled = true;
          if (this.#config.sseEnabled && Date.now() >= pollUntil) {
            continue; // the poll said this user gets SSE now: stream from the cursor it just saved
          }
          this.#report({ state: 'polling', intervalMs: this.#config.pollIntervalMs });
          await sleep(this.#config.pollIntervalMs, signal, 'online');
          if (Date.now() - this.#configReadAt > this.#options.sseRetryAfterMs) {
            await this.#readConfig(signal).catch(() => {}); // SSE may be on again; the interval may have changed
          }
          continue;
        }
        const outcome = await this.#stream(signal, () => {
          this.#note(!streamed ? 'sse_opened' : polled ? 'sse_restored' : 'sse_resumed', 'none');
          streamed = true;
          polled = false;
        });
        if (outcome.config) { // the server took SSE back from this user: poll at once, from the cursor
          this.#note('sse_fallback', 'disabled');
          continue;
        }
        const end = outcome.restart ? 'restart' : outcome.delivered ? 'ended' : await this.#diagnose(signal);
        if (outcome.silent && outcome.delivered) {
          this.#note('sse_failed', 'watchdog'); // it worked, then went quiet: reopened like an end
        } else if (end === 'refused' || end === 'network') {
          lastFailure = end === 'network' ? 'network' : outcome.opened ? 'no_events' : 'http_status';
          this.#note('sse_failed', lastFailure);
        }
        switch (end) {
          case 'restart': // a fresh token, or the tab woke up: reconnect from the cursor at once
            attempt = 0;
            sseFailures = 0;
            break;
          case 'ended': { // it streamed, then the server or the network ended it: come back soon
            attempt = 0;
            sseFailures = 0;
            const wait = Math.round(this.#options.reconnectAfterMs * (0.5 + Math.random() / 2));
            this.#report({ state: 'reconnecting', retryInMs: wait });
            await sleep(wait, signal);
            break;
          }
          case 'disabled': // #diagnose read a config with sseEnabled false: the loop polls from now on
            if (streamed) {
              this.#note('sse_fallback', 'disabled');
            }
            break;
          case 'invalid_cursor': // not a cursor of this database (restored elsewhere?): start afresh
            sessionStorage.removeItem(this.#key);
            await this.#openInbox(signal);
            break;
          case 'unauthenticated':
            await this.#signedOut(signal);
            break;
          case 'refused': // the service answers, the stream does not: a proxy in the way, a stream limit
            if (++sseFailures >= this.#options.sseFailuresBeforePolling) {
              sseFailures = 0;
              pollUntil = Date.now() + this.#options.sseRetryAfterMs;
              this.#note('sse_fallback', lastFailure);
              break; // poll at once
            }
            await this.#waitBeforeRetry(attempt++, signal);
            break;
          default: // 'network': the service does not answer at all (down, restarting)
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
   * One EventSource, from open to end (its first error, the watchdog, the browser going offline,
   * a "config" event, a restart or close()). Resolves { delivered, opened, silent, config, restart }:
   * delivered, at least one event (the server sends one, a row or a cursor, as soon as its replay is
   * done, so false means the stream never really started; onDelivered runs then); opened, the
   * response began; silent, the watchdog ended it; config, the server ended it because this user no
   * longer gets SSE (this.#config is updated); restart, #restart ended it to reconnect at once.
   */
  async #stream(signal, onDelivered) {
    const outcome = { delivered: false, opened: false, silent: false, config: false, restart: false };
    if (!(await this.#freshToken(signal))) {
      return outcome; // #diagnose says why: unauthenticated
    }
    const cursor = this.#cursor();
    const source = new EventSource(this.#base + '/events' + (cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''), {
      withCredentials: true,
    });
    let caughtUp = false;
    let batch = []; // rows not yet handed to the page, and the cursor that covers them
    let batchCursor = null;
    let batchTimer = 0;
    const flush = () => {
      clearTimeout(batchTimer);
      batchTimer = 0;
      const rows = batch;
      batch = [];
      this.#accept(rows, false);
      if (batchCursor) {
        this.#saveCursor(batchCursor); // after the page has the rows it covers
        batchCursor = null;
      }
    };
    return new Promise((resolve) => {
      let watchdog;
      const end = (restart) => {
        clearTimeout(watchdog);
        flush();
        source.close(); // before EventSource reconnects by itself: #lead decides when, and how
        signal.removeEventListener('abort', end);
        window.removeEventListener('offline', end);
        this.#restart = null;
        outcome.restart = restart === true;
        resolve(outcome);
      };
      this.#restart = () => end(true);
      const arm = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          outcome.silent = true;
          end();
        }, 1500 * this.#config.heartbeatSeconds);
      };
      const onEvent = (event) => {
        arm();
        if (!outcome.delivered) {
          outcome.delivered = true;
          onDelivered();
        }
        // EventSource keeps the last id it saw: the cursor of the last complete batch, or of the
        // latest cursor event. Empty until the first id of this connection.
        if (event.type === 'notification') {
          batch.push(JSON.parse(event.data));
          batchCursor = event.lastEventId || batchCursor;
          batchTimer ||= setTimeout(flush, this.#options.batchMs);
          return;
        }
        flush(); // rows first: a read mark or "caught up" is about what came before it
        if (event.type === 'cursor' && !caughtUp) {
          caughtUp = true; // the server sends one right after the replay
          this.#report({ state: 'live' });
        } else if (event.type === 'read') {
          this.#read(JSON.parse(event.data).ids, false);
        } else if (event.type === 'token-expiring') {
          // The server ends this stream at exp. Renew within half the time left (jittered), then
          // reconnect with the fresh cookie; without getToken the reconnect reports unauthenticated.
          const left = JSON.parse(event.data).exp * 1000 - Date.now();
          this.#renew(signal, left / 2).then((renewed) => renewed && end(true), () => {});
        }
        if (event.lastEventId) {
          this.#saveCursor(event.lastEventId);
        }
      };
      source.addEventListener('notification', onEvent);
      source.addEventListener('cursor', onEvent);
      source.addEventListener('read', onEvent);
      source.addEventListener('token-expiring', onEvent);
      source.addEventListener('open', () => (outcome.opened = true));
      // The server's last frame to a user whom the rollout no longer takes: what /api/config now says.
      source.addEventListener('config', (event) => {
        Object.assign(this.#config, JSON.parse(event.data));
        outcome.config = true;
        end();
      });
      source.addEventListener('error', end);
      signal.addEventListener('abort', end);
      window.addEventListener('offline', end);
      arm(); // also bounds a connection that never opens
    });
  }

  /**
   * Why a stream delivered nothing, since EventSource does not tell (no status, no body):
   * network, unauthenticated, disabled, invalid_cursor or refused.
   */
  async #diagnose(signal) {
    if (!navigator.onLine) {
      return 'network';
    }
    const renewals = this.#renewals;
    try {
      await this.#readConfig(signal); // no database behind it: cheap even when every browser asks
      if (this.#renewals !== renewals) {
        return 'restart'; // the stream was refused for its expired token; there is a fresh one now
      }
    } catch (failure) {
      if (signal.aborted) {
        throw failure;
      }
      return failure.status === 401 ? 'unauthenticated' : 'network';
    }
    if (!this.#config.sseEnabled) {
      return 'disabled'; // the stream was answered 503 sse_disabled
    }
    const cursor = this.#cursor();
    if (cursor && cursor !== this.#validCursor) {
      try {
        await this.#json(`/api/notifications?cursor=${encodeURIComponent(cursor)}&limit=1`, signal);
        this.#validCursor = cursor; // the server takes it: do not ask again while it fails for other reasons
      } catch (failure) {
        if (signal.aborted) {
          throw failure;
        }
        if (failure.error === 'invalid_cursor') {
          return 'invalid_cursor';
        }
        if (failure.status === 401) {
          return 'unauthenticated';
        }
      }
    }
    return 'refused';
  }

  /** Polls until the server has nothing more; the failure of a request, or nothing when all went well. */
  async #poll(signal) {
    try {
      for (;;) {
        const cursor = this.#cursor();
        const query = cursor ? `cursor=${encodeURIComponent(cursor)}&limit=500` : 'limit=100';
        const page = await this.#json('/api/notifications?' + query, signal);
        this.#accept(page.notifications, false);
        if (page.reads?.length) {
          this.#read(page.reads, false);
        }
        this.#saveCursor(page.cursor);
        if (typeof page.sseEnabled === 'boolean') {
          this.#config.sseEnabled = page.sseEnabled; // the rollout may have taken this user in, or out
        }
        if (!page.more) {
          return null;
        }
      }
    } catch (failure) {
      if (signal.aborted) {
        throw failure;
      }
      if (failure.error === 'invalid_cursor') {
        sessionStorage.removeItem(this.#key);
      }
      return failure;
    }
  }

  /** A 401: say so and wait (sign-in may happen in another tab) rather than retrying at full speed. */
  async #signedOut(signal) {
    this.#report({ state: 'unauthenticated' });
    await sleep(this.#options.sseRetryAfterMs, signal, 'focus');
  }

  async #readConfig(signal) {
    this.#config = await this.#json('/api/config', signal);
    this.#configReadAt = Date.now();
  }

  async #json(path, signal) {
    const response = await this.#fetch(path, { cache: 'no-store', signal });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw Object.assign(new Error(body.message || `HTTP ${response.status}`), body, { status: response.status });
    }
    return body;
  }

  /** A POST without a body; keepalive, so it completes even if the page is being left. */
  async #post(path) {
    const response = await this.#fetch(path, { method: 'POST', keepalive: true });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw Object.assign(new Error(body.message || `HTTP ${response.status}`), body, { status: response.status });
    }
    return response;
  }

  /**
   * fetch with the service's credentials. With getToken: a token about to expire is renewed first,
   * and a 401 renews it once and tries again (a 401 after that is the caller's to report).
   */
  async #fetch(path, init) {
    const signal = init.signal ?? this.#stop.signal; // a keepalive POST has none of its own
    if (!(await this.#freshToken(signal))) {
      // No request without the token: the service would answer with the browser's BASIC prompt.
      throw Object.assign(new Error('notification-client: getToken gave no token'), { status: 401, error: 'unauthenticated' });
    }
    for (let renewed = false; ; renewed = true) {
      const response = await fetch(this.#base + path, { credentials: 'include', ...init });
      // A little jitter: after a restart every page may find its cookie refused at once.
      if (response.status !== 401 || renewed || !(await this.#renew(signal, 1000))) {
        return response;
      }
    }
  }

  /**
   * Renews the token first when none was had yet or the one had expires within 5 s. False when
   * one was needed and none could be had; true without getToken (the browser's own sign-in).
   */
  async #freshToken(signal) {
    return !this.#options.getToken || Date.now() <= this.#tokenExp - 5000 || this.#renew(signal);
  }

  /**
   * Asks the page for a fresh token and turns it into the service's cookie, after a random wait of
   * up to jitterMs. Resolves true when the service took it; false when getToken failed, gave
   * nothing or a token the service refused (the caller then reports what the service answers).
   */
  #renew(signal, jitterMs = 0) {
    if (!this.#options.getToken) {
      return Promise.resolve(false);
    }
    this.#renewing ??= (async () => {
      try {
        await sleep(Math.random() * jitterMs, signal);
        const token = await this.#options.getToken();
        if (!token) {
          return false;
        }
        const response = await fetch(this.#base + '/api/session', {
          method: 'POST', credentials: 'include', headers: { Authorization: `Bearer ${token}` }, signal,
        });
        if (!response.ok) {
          return false;
        }
        this.#tokenExp = (await response.json()).exp * 1000;
        this.#renewals++;
        return true;
      } catch (failure) {
        if (signal.aborted) {
          throw failure;
        }
        console.warn('notification-client: getToken or POST /api/session failed:', failure);
        return false;
      } finally {
        this.#renewing = null;
      }
    })();
    return this.#renewing;
  }

  /**
   * A tab that slept (timers stopped: the clock jumped) or a page back from the back/forward cache
   * holds a dead stream and maybe an expired token: renew it if it is near its end, and reconnect
   * from the cursor now rather than when the watchdog notices.
   */
  #watchForWakeUps(signal) {
    const woke = () => {
      if (this.#leading) {
        this.#restart?.(); // #stream renews first when the token is near its end
      } else {
        this.#freshToken(signal).catch(() => {});
      }
    };
    let last = Date.now();
    const tick = setInterval(() => {
      const now = Date.now();
      if (now - last > 20_000) {
        woke();
      }
      last = now;
    }, 5_000);
    const shown = (event) => event.persisted && woke();
    window.addEventListener('pageshow', shown);
    signal.addEventListener('abort', () => {
      clearInterval(tick);
      window.removeEventListener('pageshow', shown);
    }, { once: true });
  }

  /** Queues a transport event for the next report (the leader's: it holds the transport). */
  #note(type, reason) {
    this.#events.push({ type, reason });
    if (this.#events.length > REPORT_MAX) {
      this.#events.shift();
    }
    this.#reportTimer ??= setTimeout(() => this.#flushEvents(false), this.#options.reportEveryMs);
  }

  /**
   * Sends the queued transport events in one request. When the page is going away, with
   * sendBeacon (same origin: the browser sends it after the page is gone, with its cookies) or a
   * keepalive fetch. A report that fails is dropped: it is telemetry, not data.
   */
  #flushEvents(leaving) {
    clearTimeout(this.#reportTimer);
    this.#reportTimer = null;
    if (!this.#events.length) {
      return;
    }
    const body = JSON.stringify({ events: this.#events.splice(0) });
    const url = this.#base + '/api/client-events';
    if (leaving && this.#base === location.origin && navigator.sendBeacon?.(url, new Blob([body], { type: 'application/json' }))) {
      return;
    }
    this.#fetch('/api/client-events', { method: 'POST', keepalive: true, headers: { 'Content-Type': 'application/json' }, body })
      .catch(() => {});
  }

  /** Capped exponential backoff with "equal jitter": between half and all of min(cap, 1 s x 2^attempt). */
  async #waitBeforeRetry(attempt, signal) {
    const ceiling = Math.min(this.#options.maxBackoffMs, 1000 * 2 ** Math.min(attempt, 16));
    const wait = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.#report(navigator.onLine ? { state: 'reconnecting', retryInMs: wait } : { state: 'offline' });
    await sleep(wait, signal, 'online');
  }

  /** Hands the rows this tab has not shown yet to the page, in one call, oldest first. */
  #accept(notifications, history) {
    const fresh = notifications.filter((n) => !this.#seen.has(n.id) && this.#seen.add(n.id));
    if (this.#seen.size > 2 * this.#options.seenIdsKept) {
      this.#seen = new Set([...this.#seen].slice(-this.#options.seenIdsKept)); // a Set iterates oldest first
    }
    if (!fresh.length) {
      return;
    }
    if (this.#leading && !history) {
      this.#channel?.postMessage({ type: 'notifications', notifications: fresh });
    }
    if (this.#options.onNotifications) {
      call(this.#options.onNotifications, fresh, { history });
    } else {
      fresh.forEach((n) => call(this.#options.onNotification, n, { history }));
    }
  }

  /** Ids read on some device: to the page, and to the other tabs (from the leader, or from the tab that marked). */
  #read(ids, marked) {
    if (this.#leading || marked) {
      this.#channel?.postMessage({ type: 'read', ids });
    }
    call(this.#options.onRead, ids);
  }

  #cursor() {
    return sessionStorage.getItem(this.#key);
  }

  #saveCursor(cursor) {
    if (cursor === this.#cursor()) {
      return; // events inside a batch repeat the previous batch's id: nothing to store or share
    }
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
    if (message.type === 'read') {
      call(this.#options.onRead, message.ids); // from the leader, or from any tab that marked one
      return;
    }
    if (this.#leading) {
      if (message.type === 'hello') {
        this.#channel.postMessage({ type: 'status', status: this.#status });
      }
      return;
    }
    switch (message.type) {
      case 'notifications':
        this.#accept(message.notifications, false);
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
