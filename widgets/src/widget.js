/*
 * feedback_service: the embeddable survey widget.
 *
 *   <script src="https://feedback.example.com/widget.js" data-touchpoint="pk_…" async></script>
 *
 * The entry point: when to show a survey (the touchpoint's trigger, or FeedbackWidget.show())
 * and the one global. `make widget` bundles it with the other modules here into
 * widgets/dist/widget.min.js, which is what /widget.js serves (see widgets/README.md).
 * A guest on someone else's page, so it:
 *   - adds nothing global but window.FeedbackWidget = {show(options), hide()};
 *   - never throws into the page (guard.js);
 *   - uses no eval, Function(), innerHTML or inline handlers (works under a strict CSP);
 *   - renders in an open Shadow DOM whose :host is reset with !important (render.js).
 */

import { context, customer, isAnonymous } from './answer.js';
import { config, readConfig } from './config.js';
import { close, hasShown, isOpen, open } from './dialog.js';
import { isResting } from './fatigue.js';
import { later, listen, safe } from './guard.js';
import { flush } from './queue.js';
import { request, touchpointPath } from './request.js';

// The survey to show this customer, or null. `suppressed` says whether to show it at all.
const fetchSurvey = async (touchpoint, who) => {
  const query = new URLSearchParams();
  if (who.id) query.set('customer_id', who.id);
  if (who.email) query.set('customer_email', who.email);
  query.set('lang', navigator.language || '');
  const answer = await request('GET', touchpointPath(touchpoint, '/survey?' + query)), payload = answer.json;
  if (answer.status !== 200 || !payload || !payload.survey) return null;
  if (isAnonymous(who) && isResting(touchpoint, payload.fatigue_days)) payload.suppressed = true;
  return payload;
};

// The survey's own trigger, unless the tag says data-trigger="manual". It opens at most once a page.
const followTrigger = async () => {
  const who = customer(), payload = await fetchSurvey(config.touchpoint, who);
  if (!payload || payload.suppressed) return;
  const trigger = payload.trigger || {}, delay = (+trigger.delay_seconds || 0) * 1000;
  const show = () => hasShown() || open(payload, config.touchpoint, who, {});
  if (trigger.mode === 'load' || (trigger.mode === 'exit_intent' && window.matchMedia('(pointer:coarse)').matches)) {
    later(show, delay); // touch devices have no exit intent: after the delay
  } else if (trigger.mode === 'exit_intent') {
    const leave = safe(event => { // the pointer left the window through the top edge
      if (event.relatedTarget || event.clientY > 0) return;
      document.removeEventListener('mouseout', leave);
      show();
    });
    document.addEventListener('mouseout', leave);
  }
};

const start = () => {
  readConfig();
  const ready = flush(); // what an earlier page left pending goes first, before any survey
  if (config.touchpoint && config.dataset.trigger !== 'manual') ready.then(safe(followTrigger));
  listen(window, 'online', flush);

  window.FeedbackWidget = Object.freeze({
    // show({touchpoint, customer: {id, email}, context: {...}}) -> Promise<boolean>, never rejects
    show: safe(async options => {
      options = options || {};
      await ready;
      const touchpoint = options.touchpoint || config.touchpoint;
      const who = customer(options.customer), where = context(options.context);
      if (isOpen() || !touchpoint) return false;
      const payload = await fetchSurvey(touchpoint, who);
      return !!payload && !payload.suppressed && open(payload, touchpoint, who, where, true);
    }),
    hide: safe(close)
  });
};

if (!window.FeedbackWidget) { // loaded twice: the first copy wins
  try { start(); } catch (error) { /* never throw into the host page */ }
}
