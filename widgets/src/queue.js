// The offline queue: an answer is written to localStorage before it is sent and removed only
// once the server has it (or refused it for good), so a page closed, a network gone or a 5xx
// loses nothing; the same Idempotency-Key on every attempt means nothing is stored twice.
//
// One key holds a JSON array of entries (a format pages already have: keep it stable):
//   {base, pk, key: Idempotency-Key, body: {score, customer?, context?},
//    comment?: a comment PATCH still to do, at: ms timestamp}

import { config } from './config.js';
import { noop } from './guard.js';
import { request, succeeded, touchpointPath, worthRetrying, refusedForGood } from './request.js';

const STORAGE_KEY = 'feedback_widget.pending.v1';
const KEPT = 20;
const WEEK_MS = 7 * 864e5;

const load = () => {
  try {
    const entries = JSON.parse(localStorage.getItem(STORAGE_KEY));
    return Array.isArray(entries) ? entries : [];
  } catch (error) { return []; }
};

const store = entries => {
  try {
    if (entries.length) localStorage.setItem(STORAGE_KEY, JSON.stringify(entries.slice(-KEPT)));
    else localStorage.removeItem(STORAGE_KEY);
  } catch (error) { /* private mode, sandboxed iframe, full: the widget works on without a queue */ }
};

export const forget = key => store(load().filter(entry => entry.key !== key));
export const save = entry => store(load().filter(other => other.key !== entry.key).concat(entry));

export const newKey = () => {
  try { return crypto.randomUUID(); } catch (error) { /* insecure context or old browser */ }
  let key = '';
  try {
    crypto.getRandomValues(new Uint8Array(16)).forEach(byte => { key += (byte + 256).toString(16).slice(1); });
  } catch (error) {
    key = Date.now().toString(36) + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  }
  return key;
};

// POSTs the score, resolving to the server's answer. Done with the entry once stored (unless
// a comment is still to follow) or refused for good.
export const sendScore = async entry => {
  const answer = await request('POST', touchpointPath(entry.pk, '/responses'), entry.body,
    { 'Idempotency-Key': entry.key });
  if (succeeded(answer.status) ? entry.comment == null : refusedForGood(answer.status)) forget(entry.key);
  return answer;
};

// The body of a stored score ({id, edit_token, follow_up_prompt}), or nothing.
export const created = answer => succeeded(answer.status) && answer.json;

// PATCHes the entry's comment with the edit token of `response`. Resolves to false when the
// token was refused: it lives 30 minutes, and the customer took longer to write. The entry
// stays then, for sendEntry's fresh token.
export const sendComment = async (entry, response) => {
  const answer = await request('PATCH', touchpointPath(entry.pk, '/responses/' + encodeURIComponent(response.id)),
    { comment: entry.comment }, { Authorization: 'Bearer ' + response.edit_token });
  if (answer.status === 403) return false;
  if (!worthRetrying(answer.status)) forget(entry.key);
  return true;
};

// Sends an entry in full: the score (a replay if it already arrived, which hands out a fresh
// edit token), then the comment. A fresh token refused too will never do: the comment is given up.
export const sendEntry = async entry => {
  const response = created(await sendScore(entry));
  if (response && entry.comment != null && !(await sendComment(entry, response))) forget(entry.key);
};

// The entry this page is sending itself, which the flush must not send a second time alongside.
let ownEntry = null;
export const sendingOwn = entry => { ownEntry = entry; };
export const doneWithOwn = entry => { if (ownEntry === entry) ownEntry = null; };
// The survey closed: its score is the flush's to retry now, unless its comment is on its way.
export const releaseOwn = () => { if (ownEntry && ownEntry.comment == null) ownEntry = null; };

// Sends whatever earlier pages (or this one, offline) left for this service. One at a time:
// a second call while one runs shares it.
let flushing = null;
export const flush = () => flushing || (flushing = (async () => {
  for (const entry of load()) {
    if (!entry || entry.base !== config.base || (ownEntry && ownEntry.key === entry.key)) continue;
    if (!(Date.now() - entry.at < WEEK_MS) || !entry.body) forget(entry.key); // given up after a week
    else await sendEntry(entry);
  }
})().catch(noop).then(() => { flushing = null; }));
