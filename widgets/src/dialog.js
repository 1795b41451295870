// The one survey on the page: opening it (render, flow, keys, focus, the impression) and
// closing it, with focus handed back to where it was.

import { isAnonymous, withWhoAndWhere } from './answer.js';
import { rememberShown } from './fatigue.js';
import { later, listen } from './guard.js';
import { releaseOwn } from './queue.js';
import { renderSurvey } from './render.js';
import { request, touchpointPath } from './request.js';
import { surveyFlow } from './flow.js';

let host = null, focusBefore = null, timer = 0, shownOnce = false;

export const isOpen = () => !!host;
export const hasShown = () => shownOnce;

export const close = () => {
  if (!host) return;
  clearTimeout(timer);
  releaseOwn();
  const hadFocus = document.activeElement === host;
  host.remove();
  host = null;
  if (hadFocus && focusBefore && focusBefore.isConnected && focusBefore.focus) focusBefore.focus({ preventScroll: true });
};

// Arrow keys (mirrored right to left), Home and End move between the scores, wrapping around.
const scoreKeys = (view, rtl) => event => {
  const buttons = view.scoreButtons, count = buttons.length;
  const index = buttons.indexOf(view.root.activeElement), key = event.key, forward = rtl ? -1 : 1;
  const next = key === 'ArrowRight' ? index + forward : key === 'ArrowLeft' ? index - forward
    : key === 'ArrowDown' ? index + 1 : key === 'ArrowUp' ? index - 1
    : key === 'Home' ? 0 : key === 'End' ? count - 1 : null;
  if (next == null || index < 0) return;
  event.preventDefault();
  buttons[(next + count) % count].focus();
};

// payload: GET /w/{pk}/survey's. asked: the host page called show(), right after an
// interaction; otherwise the survey's own trigger opened it. False when one is open already.
export const open = (payload, touchpoint, who, where, asked) => {
  if (host) return false;
  const survey = payload.survey, texts = survey.texts;
  const lang = survey.language || navigator.language || 'en';
  const rtl = /^(ar|fa|he|ur)\b/i.test(lang);

  shownOnce = true;
  focusBefore = document.activeElement;
  const view = renderSurvey(survey, lang, rtl);
  const mine = host = view.host;
  const flow = surveyFlow({
    view, survey, touchpoint, who, where,
    isOpen: () => host === mine,
    closeLater: ms => { timer = later(close, ms); }
  });

  view.scoreButtons.forEach((button, index) => listen(button, 'click', () => flow.choose(view.min + index, button)));
  listen(view.scoreGroup, 'keydown', scoreKeys(view, rtl));
  listen(view.sendButton, 'click', () => flow.finish(view.commentBox.value.trim()));
  listen(view.skipButton, 'click', () => flow.finish(''));
  listen(view.closeButton, 'click', close);
  listen(view.card, 'keydown', event => {
    if (event.key === 'Escape') { event.stopPropagation(); close(); }
  });

  (document.body || document.documentElement).appendChild(host);
  // Focus moves in when the host asked, or when nothing on the page has it. A survey that opens
  // by itself must not take the keys from someone typing on the page (a space would choose a
  // score): it is announced instead, and is next in the Tab order after the page.
  if (asked || !focusBefore || focusBefore === document.body || focusBefore === document.documentElement) {
    view.scoreButtons[0].focus({ preventScroll: true });
  } else {
    timer = later(() => view.announce(texts.opened), 200);
  }
  request('POST', touchpointPath(touchpoint, '/displays'), withWhoAndWhere({}, who, where)); // one impression
  if (isAnonymous(who)) rememberShown(touchpoint);
  return true;
};
