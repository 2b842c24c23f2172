// The inbox page: shows what NotificationClient delivers. Every text from the database goes in
// with textContent (never innerHTML), so a "<script>" in a title is shown, never run.
import { NotificationClient } from './notification-client.js';

const inbox = document.getElementById('inbox');
const empty = document.getElementById('empty');
const template = document.getElementById('card');
const badge = document.getElementById('unread');
const markAll = document.getElementById('mark-all');
const status = document.getElementById('status');
const statusText = document.getElementById('status-text');
const older = document.getElementById('older');
const notice = document.getElementById('notice');
const user = document.getElementById('user');
const signOut = document.getElementById('sign-out');
const pageTitle = document.title;
const cards = new Map(); // id -> its card, for read marks; at most `shown` of them
// The page draws the newest rows only: a bulk load of 100,000 would otherwise be 100,000 cards
// (gigabytes in the renderer). What falls off the bottom comes back with "Load older".
const SHOWN = 100;
const HISTORY = 50; // the newest rows loaded on open; "Load older" brings this many more each time
let shown = SHOWN; // grows as the user loads older rows, so a live row does not take them away
let loaded = false; // caught up once: from then on no cards means an empty inbox

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A batch of new rows, oldest first: only the newest `shown` become cards; the badge counts them all. */
function show(notifications, { history }) {
  if (!history) {
    change(notifications.filter((n) => !n.read).length); // the history is in the server's count already
  }
  const fresh = document.createDocumentFragment();
  for (const notification of notifications.slice(-shown)) {
    if (!cards.has(notification.id)) {
      fresh.prepend(cardFor(notification, !history)); // oldest first: the newest ends on top
    }
  }
  inbox.prepend(fresh);
  trim();
  if (history && notifications.length >= HISTORY) {
    older.hidden = false; // a full history: there may be more before it
  }
  showEmpty();
}

/** Drops the cards below the newest `shown`; they can be loaded again. */
function trim() {
  while (cards.size > shown) {
    const last = inbox.lastElementChild;
    cards.delete(Number(last.dataset.id));
    last.remove();
    older.hidden = false;
  }
}

function showEmpty() {
  empty.hidden = !loaded || cards.size > 0;
}

/** "Load older": the rows before the oldest card, below it. */
older.addEventListener('click', async () => {
  const oldest = inbox.lastElementChild;
  if (!oldest) {
    return;
  }
  older.disabled = true;
  try {
    const rows = await window.inboxClient.older(Number(oldest.dataset.id), HISTORY);
    const fragment = document.createDocumentFragment();
    for (const notification of rows.toReversed()) { // newest first, below the oldest shown
      if (!cards.has(notification.id)) {
        fragment.append(cardFor(notification, false));
      }
    }
    inbox.append(fragment);
    shown = Math.max(shown, cards.size);
    older.hidden = rows.length < HISTORY;
  } catch (failure) {
    say(`Could not load older notifications: ${failure.message}`);
  } finally {
    older.disabled = false;
  }
});

function cardFor(notification, arrived) {
  const card = template.content.firstElementChild.cloneNode(true);
  card.dataset.id = notification.id;
  cards.set(notification.id, card);
  card.classList.toggle('unread', !notification.read);
  const category = card.querySelector('.category');
  if (notification.category) {
    category.textContent = notification.category;
    category.style.setProperty('--hue', hue(notification.category)); // CSSOM, which CSP allows
  } else {
    category.remove();
  }
  card.querySelector('.title').textContent = notification.title;
  const body = card.querySelector('.body');
  if (notification.body) {
    body.textContent = notification.body;
  } else {
    body.remove();
  }
  const link = card.querySelector('.link');
  const href = safeLink(notification.link);
  if (href) {
    link.href = href;
  } else {
    link.remove();
  }
  const when = card.querySelector('.when');
  when.dateTime = notification.createdAt;
  when.title = absolute.format(new Date(notification.createdAt));
  when.textContent = ago(notification.createdAt);
  if (arrived) {
    card.classList.add('new'); // slides in
  }
  return card;
}

/** A short message for what the page could not do (a read mark refused); shown for ms (0: until replaced). */
let noticeTimer = 0;
function say(text, ms = 8_000) {
  notice.textContent = text;
  notice.hidden = false;
  clearTimeout(noticeTimer);
  if (ms) {
    noticeTimer = setTimeout(() => (notice.hidden = true), ms);
  }
}

/**
 * Only http(s) links, resolved against the page: a "javascript:" link from the database is dropped,
 * and so is a path that leaves this site ("//host", "/\\host"), as the table's rule drops them.
 */
function safeLink(link) {
  if (!link) {
    return null;
  }
  try {
    const url = new URL(link, document.baseURI);
    const absolute = /^https?:\/\//.test(link);
    const ours = url.origin === new URL(document.baseURI).origin;
    return (url.protocol === 'https:' || url.protocol === 'http:') && (absolute || ours) ? url.href : null;
  } catch {
    return null;
  }
}

function ago(iso) {
  const seconds = Math.round((new Date(iso) - Date.now()) / 1000);
  const steps = [[60, 'second'], [60, 'minute'], [24, 'hour'], [7, 'day'], [4.35, 'week'], [12, 'month'], [Infinity, 'year']];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) {
      return unit === 'second' && Math.abs(value) < 45 ? 'just now' : relative.format(Math.round(value), unit);
    }
    value /= size;
  }
}

/** A stable colour per category name. */
function hue(text) {
  let h = 0;
  for (const c of text) {
    h = (h * 31 + c.codePointAt(0)) % 360;
  }
  return String(h);
}

// The unread badge: the server's count when the client (re)connects and has caught up, kept right
// in between by what arrives: an unread row adds one, a read mark subtracts one for each card that
// was unread. A mark for a row the page does not show (older than its history) may or may not
// change the count: then it asks the server again. So does anything that happens while it asks.
let unread = null; // unknown until the first count
let counting = false;
let recount = false;

function setUnread(n) {
  unread = Math.max(0, n);
  badge.textContent = `${unread} unread`;
  badge.dataset.count = String(unread);
  badge.hidden = unread === 0;
  markAll.disabled = unread === 0;
  document.title = unread ? `(${unread}) ${pageTitle}` : pageTitle;
}

function change(delta) {
  recount ||= counting; // the count on its way may or may not include this
  if (unread !== null) {
    setUnread(unread + delta);
  }
}

async function count() {
  if (counting) {
    recount = true;
    return;
  }
  counting = true;
  try {
    for (let tries = 0; tries < 3; tries++) {
      recount = false;
      setUnread(await window.inboxClient.unreadCount());
      if (!recount) {
        break;
      }
    }
  } catch {
    // offline or signed out: the next (re)connection counts again
  } finally {
    counting = false;
  }
}

/** Shows a card as read; true if it was unread. */
function showRead(card) {
  if (!card?.classList.contains('unread')) {
    return false;
  }
  card.classList.remove('unread');
  change(-1);
  return true;
}

/** Marks from any device (and this one's echo): cards turn read; unknown ids are counted again. */
function read(ids) {
  let unknown = false;
  for (const id of ids) {
    unknown ||= !cards.has(id);
    showRead(cards.get(id));
  }
  if (unknown) {
    count();
  }
}

/** A click on an unread card, its dot or its link: read at once here, then on the server. */
function markOne(card) {
  if (!showRead(card)) {
    return;
  }
  window.inboxClient.markRead(Number(card.dataset.id)).catch((failure) => {
    card.classList.add('unread'); // not marked after all (offline, signed out, refused)
    change(+1);
    say(`Could not mark it read: ${failure.message}`);
  });
}

inbox.addEventListener('click', (event) => markOne(event.target.closest('.card')));
inbox.addEventListener('auxclick', (event) => event.target.closest('.link') && markOne(event.target.closest('.card')));

markAll.addEventListener('click', async () => {
  const marked = [...cards.values()]; // what the client's cursor covers: a row that arrives meanwhile stays unread
  markAll.disabled = true;
  try {
    await window.inboxClient.markAllRead();
    marked.forEach(showRead);
  } catch (failure) {
    markAll.disabled = false;
    say(`Could not mark all read: ${failure.message}`);
    return;
  }
  count(); // rows older than the page's history were marked too
});

let lastState = null;
function showStatus(s) {
  if ((s.state === 'live' || s.state === 'polling') && s.state !== lastState) {
    count(); // (re)connected and caught up: the server's count, then deltas
    loaded = true;
    showEmpty();
  }
  lastState = s.state;
  status.dataset.state = s.state;
  statusText.textContent = {
    connecting: 'Connecting…',
    live: 'Live',
    polling: `Polling every ${Math.round((s.intervalMs ?? 0) / 1000)} s`,
    reconnecting: s.retryInMs ? `Reconnecting in ${Math.max(1, Math.round(s.retryInMs / 1000))} s…` : 'Reconnecting…',
    offline: 'Offline',
    unauthenticated: 'Signed out: sign in again',
  }[s.state] ?? s.state;
}

// "2 min ago" stays true: every 30 s, and at once when the tab is shown again (browsers slow the
// timers of hidden tabs down to once a minute or less).
function refreshTimes() {
  for (const when of inbox.querySelectorAll('.when')) {
    when.textContent = ago(when.dateTime);
  }
}
setInterval(refreshTimes, 30_000);
document.addEventListener('visibilitychange', () => document.hidden || refreshTimes());

// Who is signed in, and a way out. HTTP BASIC has none a server can offer: the browser keeps the
// credentials until it quits and sends them unasked. So "Sign out" stops this tab's connection,
// asks the server to end the session (DELETE /api/session, for sign-ins it can end) and, when it
// cannot, says how to finish.
const session = new URL('../api/session', import.meta.url);
fetch(session, { credentials: 'include', cache: 'no-store' })
  .then((response) => (response.ok ? response.json() : Promise.reject(response)))
  .then((who) => {
    user.textContent = who.user;
    user.title = `Signed in as ${who.user}`;
    user.hidden = signOut.hidden = false;
  })
  .catch(() => {}); // the client reports a 401 as "unauthenticated"

signOut.addEventListener('click', async () => {
  window.inboxClient.close();
  const ended = await fetch(session, { method: 'DELETE', credentials: 'include' }).then((r) => r.ok, () => false);
  if (ended) {
    location.reload(); // the server ended the session: the reload asks for a sign-in
    return;
  }
  signOut.hidden = true;
  markAll.disabled = true;
  status.dataset.state = 'signed-out';
  statusText.textContent = 'Signed out of this tab';
  say('Your browser keeps this sign-in (HTTP BASIC) until it quits: close the browser to sign out completely.', 0);
});

// The service is where this page is: js/ sits under the application's root, whatever its context path.
// Kept on window for the console (and the browser tests): window.inboxClient.status.
window.inboxClient = new NotificationClient({
  baseUrl: new URL('..', import.meta.url).href,
  history: HISTORY,
  onNotifications: show,
  onStatus: showStatus,
  onRead: read,
});
