// The inbox page: shows what NotificationClient delivers. Every text from the database goes in
// with textContent (never innerHTML), so a "<script>" in a title is shown, never run.
import { NotificationClient } from './notification-client.js';

const inbox = document.getElementById('inbox');
const empty = document.getElementById('empty');
const template = document.getElementById('card');
const newCount = document.getElementById('new-count');
const status = document.getElementById('status');
const statusText = document.getElementById('status-text');
const pageTitle = document.title;
let arrived = 0; // notifications that arrived since the page opened (not the history it opened with)

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function show(notification, { history }) {
  const card = template.content.firstElementChild.cloneNode(true);
  card.dataset.id = notification.id;
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
  if (!history) {
    card.classList.add('new');
    arrived++;
    newCount.textContent = `${arrived} new`;
    newCount.hidden = false;
    document.title = `(${arrived}) ${pageTitle}`;
  }
  inbox.prepend(card); // rows arrive oldest first: the newest ends on top
  empty.hidden = true;
}

/** Only http(s) links, resolved against the page: a "javascript:" link from the database is dropped. */
function safeLink(link) {
  if (!link) {
    return null;
  }
  try {
    const url = new URL(link, document.baseURI);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
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

function showStatus(s) {
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

// The service is where this page is: js/ sits under the application's root, whatever its context path.
// Kept on window for the console (and the browser tests): window.inboxClient.status.
window.inboxClient = new NotificationClient({
  baseUrl: new URL('..', import.meta.url).href,
  history: 50,
  onNotification: show,
  onStatus: showStatus,
});
