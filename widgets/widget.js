/*
 * feedback_service — the embeddable survey widget.
 *
 *   <script src="https://feedback.example.com/widget.js" data-touchpoint="pk_…" async></script>
 *
 * Hand-written, dependency-free ES2017; served minified (rjsmin strips these comments).
 * A guest on someone else's page, so it:
 *   - adds nothing global but window.FeedbackWidget = {show(opts), hide()};
 *   - never throws into the page: every entry point and callback is wrapped;
 *   - uses no eval, Function(), innerHTML or inline handlers (works under a strict CSP);
 *   - renders in an open Shadow DOM whose :host is reset with !important.
 * Answers are queued in localStorage before they are sent (see widgets/README.md).
 */
(() => {
  'use strict';
  const w = window, d = document;
  if (w.FeedbackWidget) return; // loaded twice: the first copy wins

  try {
    const noop = () => {};
    // Wrap a function so that nothing it does, sync or async, reaches the host page.
    const safe = f => (...a) => {
      try {
        const r = f(...a);
        return r && r.then ? r.catch(noop) : r;
      } catch (e) { /* swallowed on purpose */ }
    };
    const on = (el, type, f) => el.addEventListener(type, safe(f));
    const sleep = ms => new Promise(r => setTimeout(r, ms));
    const enc = encodeURIComponent;
    const keys = Object.keys;

    // ---- configuration, from our own <script> tag -------------------------
    const cs = d.currentScript;
    const me = cs && cs.dataset.touchpoint ? cs : d.querySelector('script[data-touchpoint]') || cs;
    const ds = (me && me.dataset) || {};
    const PK = ds.touchpoint;
    const base = me && me.src ? new URL(me.src, location.href).origin : '';
    const NONCE = ds.styleNonce || (me && me.nonce) || '';
    const QKEY = 'feedback_widget.pending.v1';

    // ---- CSS: a string, there is no build step ----------------------------
    // --fbw-accent may be set by the host page on the feedback-widget element.
    const A = 'var(--a)';
    const CSS =
      ':host{all:initial!important}' +
      '*{box-sizing:border-box;margin:0;padding:0;font:inherit;color:inherit}' +
      '[hidden]{display:none!important}' +
      '.w{--a:var(--fbw-accent,#1d4ed8);position:fixed;right:16px;bottom:16px;z-index:2147483647;' +
        'width:384px;max-width:calc(100vw - 32px);max-height:calc(100vh - 32px);overflow:auto;' +
        'padding:20px;background:#fff;color:#111827;border:1px solid #e5e7eb;border-radius:12px;' +
        'box-shadow:0 12px 32px rgba(17,24,39,.18),0 2px 6px rgba(17,24,39,.08);text-align:left;' +
        'font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;' +
        'animation:fbw .2s ease-out}' +
      '@keyframes fbw{from{opacity:0;transform:translateY(12px)}}' +
      '.q{font-size:16px;font-weight:600;padding-right:28px;margin-bottom:14px}' +
      '.g{display:grid;grid-auto-flow:column;grid-auto-columns:1fr;gap:4px}' +
      'button{cursor:pointer;border-radius:8px;background:#fff;font-weight:600}' +
      '.g button{height:40px;min-width:0;border:1px solid #868e96;font-variant-numeric:tabular-nums;' +
        'transition:background-color .15s,border-color .15s}' +
      '.g button:hover{border-color:' + A + ';background:#eff6ff}' +
      '.g [aria-pressed=true]{background:' + A + ';border-color:' + A + ';color:#fff}' +
      '.l{display:flex;justify-content:space-between;gap:12px;margin-top:6px;font-size:13px;color:#4b5563}' +
      '.l:empty{display:none}' +
      '.s{font-size:14px;font-weight:600;color:#047857;padding-right:28px}' +
      '.s:not(:empty){margin-bottom:10px}' +
      '.v{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}' +
      '.done .s{font-size:16px;color:#111827;margin:2px 0}' +
      'label{display:block;font-weight:600;margin-bottom:8px}' +
      'textarea{display:block;width:100%;min-height:88px;padding:10px 12px;border:1px solid #868e96;' +
        'border-radius:8px;background:#fff;resize:vertical}' +
      '.r{display:flex;justify-content:flex-end;gap:8px;margin-top:12px}' +
      '.r button{padding:9px 16px;border:1px solid transparent;color:#374151}' +
      '.r button:hover,.x:hover{background:#f3f4f6;color:#111827}' +
      '.r .p,.r .p:hover{background:' + A + ';color:#fff}' +
      '.x{position:absolute;top:10px;right:10px;width:32px;height:32px;border:0;color:#4b5563;' +
        'font-size:22px;line-height:1;font-weight:400}' +
      ':focus{outline:2px solid ' + A + ';outline-offset:2px}' +
      ':focus:not(:focus-visible){outline:none}' +
      'textarea:focus{outline-offset:0;border-color:' + A + '}' +
      '@media (max-width:480px){.w{left:0;right:0;bottom:0;width:auto;max-width:none;' +
        'border-radius:16px 16px 0 0;border-width:1px 0 0;padding-bottom:calc(20px + env(safe-area-inset-bottom))}' +
        '.g button{height:44px}}' +
      // 11 NPS scores in one row are 22px wide at 320px: two rows keep each target over 24px (WCAG 2.5.8).
      '@media (max-width:360px){.k{grid-auto-flow:row;grid-template-columns:repeat(6,1fr)}}' +
      '@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}';

    let sheet; // one constructable stylesheet, shared by every render
    const addStyles = root => {
      if ('adoptedStyleSheets' in root) {
        try {
          if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); }
          root.adoptedStyleSheets = [sheet]; // CSP does not apply: no nonce needed
          return;
        } catch (e) { /* not constructable here: fall back to <style nonce> */ }
      }
      root.appendChild(h('style', { nonce: NONCE || null, text: CSS }));
    };

    // ---- a tiny DOM builder: textContent only, server text is never HTML ---
    const h = (tag, attrs, kids) => {
      const el = d.createElement(tag);
      keys(attrs || {}).forEach(k => {
        const v = attrs[k];
        if (v == null || v === false) return;
        if (k === 'text') el.textContent = v;
        else el.setAttribute(k, v === true ? '' : v);
      });
      (kids || []).forEach(c => el.appendChild(c));
      return el;
    };

    // ---- HTTP --------------------------------------------------------------
    // Resolves to {s: status, j: json|null}; s is 0 on a network error or timeout. Never rejects.
    const req = async (method, path, body, headers) => {
      const ctl = w.AbortController ? new AbortController() : null;
      const t = ctl && setTimeout(() => ctl.abort(), 10000);
      try {
        const r = await fetch(base + path, {
          method, mode: 'cors', credentials: 'omit', cache: 'no-store',
          signal: ctl ? ctl.signal : undefined,
          headers: Object.assign(body ? { 'Content-Type': 'application/json' } : {}, headers),
          body: body ? JSON.stringify(body) : undefined
        });
        let j = null;
        try { j = await r.json(); } catch (e) { /* empty or not JSON */ }
        return { s: r.status, j };
      } catch (e) {
        return { s: 0, j: null };
      } finally {
        clearTimeout(t);
      }
    };
    const ok = s => s > 199 && s < 300;
    // Worth retrying later: network error/timeout, 408, 409 (first try in flight), 425, 429, 5xx.
    const again = s => !s || s === 408 || s === 409 || s === 425 || s === 429 || s > 499;

    const uuid = () => {
      try { return crypto.randomUUID(); } catch (e) { /* insecure context or old browser */ }
      let s = '';
      try {
        crypto.getRandomValues(new Uint8Array(16)).forEach(b => { s += (b + 256).toString(16).slice(1); });
      } catch (e) {
        s = Date.now().toString(36) + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
      }
      return s;
    };

    // ---- the offline queue: one localStorage key holding a JSON array -------
    // entry: {base, pk, key: Idempotency-Key, body: {score, customer?, context?},
    //         comment?: a comment PATCH still to do, at: ms timestamp}
    const load = () => {
      try {
        const q = JSON.parse(localStorage.getItem(QKEY));
        return Array.isArray(q) ? q : [];
      } catch (e) { return []; }
    };
    const store = q => {
      try {
        if (q.length) localStorage.setItem(QKEY, JSON.stringify(q.slice(-20)));
        else localStorage.removeItem(QKEY);
      } catch (e) { /* private mode, sandboxed iframe, full: carry on */ }
    };
    const drop = key => store(load().filter(x => x.key !== key));
    const put = e => store(load().filter(x => x.key !== e.key).concat(e));

    // POST the score; the same key and body on every attempt. Resolves to the answer {s, j}.
    const post = async e => {
      const x = await req('POST', '/w/' + enc(e.pk) + '/responses', e.body, { 'Idempotency-Key': e.key });
      // Done with it once stored (unless a comment is still to follow), or refused for good (a 4xx).
      if (ok(x.s) ? e.comment == null : !again(x.s)) drop(e.key);
      return x;
    };
    const body201 = x => ok(x.s) && x.j;
    // PATCH the pending comment with the edit token of a 201 body. Resolves to false when that
    // token was refused (it lives 30 minutes: the customer took longer to write); the entry stays.
    const patch = async (e, a) => {
      const x = await req('PATCH', '/w/' + enc(e.pk) + '/responses/' + enc(a.id), { comment: e.comment },
        { Authorization: 'Bearer ' + a.edit_token });
      if (x.s === 403) return false;
      if (!again(x.s)) drop(e.key);
      return true;
    };
    // Send a queued entry in full: the score (a replay if it already arrived, with a fresh edit
    // token), then the comment. A fresh token refused too will never do: give up on the comment.
    const sync = async e => {
      const a = body201(await post(e));
      if (a && e.comment != null && !(await patch(e, a))) drop(e.key);
    };

    let cur = null; // the entry this page is sending itself; the flush leaves it alone
    let flushing = null;
    const flush = () => flushing || (flushing = (async () => {
      for (const e of load()) {
        if (!e || e.base !== base || (cur && cur.key === e.key)) continue;
        if (!(Date.now() - e.at < 7 * 864e5) || !e.body) drop(e.key); // give up after a week
        else await sync(e);
      }
    })().catch(noop).then(() => { flushing = null; }));

    // ---- survey -------------------------------------------------------------
    const customer = c => {
      c = Object.assign({ id: ds.customerId, email: ds.customerEmail }, c);
      const o = {};
      if (c.id != null && c.id !== '') o.id = String(c.id);
      if (c.email) o.email = String(c.email);
      return o;
    };
    // The API takes a flat object of <= 20 keys of 1-64 characters with short scalar values, and
    // refuses the whole answer (422, so it is dropped) for anything else: keep only what fits.
    // Strings are cut at 200 code points (the API counts those, not UTF-16 units), never inside an
    // emoji; NUL and lone surrogates, which the API refuses too, are left out. Numbers beyond 1e15
    // either way (the API's limit) go as strings; NaN and Infinity are dropped.
    const context = c => {
      const o = {};
      keys(c && typeof c === 'object' ? c : {}).filter(k => k && k.length < 65).slice(0, 20).forEach(k => {
        const v = c[k], t = typeof v;
        if (v == null || t === 'boolean' || (t === 'number' && Math.abs(v) <= 1e15)) o[k] = v;
        else if (t === 'number' && isFinite(v)) o[k] = String(v); // a long id: the API wants it as a string
        else if (t === 'string') {
          o[k] = [...v].filter(ch => ch > '\0' && (ch.length > 1 || ch < '\ud800' || ch > '\udfff'))
            .slice(0, 200).join('');
        }
      });
      return o;
    };
    const withWho = (o, who, ctx) => {
      if (keys(who).length) o.customer = who;
      if (keys(ctx).length) o.context = ctx;
      return o;
    };

    // Fatigue for anonymous visitors, whom the server cannot recognise: this browser remembers
    // when it last showed each survey, for the touchpoint's fatigue window.
    const SEEN = 'feedback_widget.seen.v1';
    const seen = () => {
      try { return JSON.parse(localStorage.getItem(SEEN)) || {}; } catch (e) { return {}; }
    };
    const saw = pk => {
      try { const s = seen(); s[pk] = Date.now(); localStorage.setItem(SEEN, JSON.stringify(s)); } catch (e) { }
    };

    const fetchSurvey = async (pk, who) => {
      const q = new URLSearchParams();
      if (who.id) q.set('customer_id', who.id);
      if (who.email) q.set('customer_email', who.email);
      q.set('lang', navigator.language || '');
      const x = await req('GET', '/w/' + enc(pk) + '/survey?' + q), j = x.j;
      if (x.s !== 200 || !j || !j.survey) return null;
      if (!keys(who).length && Date.now() - (+seen()[pk] || 0) < (+j.fatigue_days || 0) * 864e5) j.suppressed = true;
      return j;
    };

    // ---- rendering ------------------------------------------------------------
    let host = null, prev = null, timer = 0, shown = false;

    const close = () => {
      if (!host) return;
      clearTimeout(timer);
      if (cur && cur.comment == null) cur = null; // no comment on its way: the queue may retry it
      const hadFocus = d.activeElement === host;
      host.remove();
      host = null;
      if (hadFocus && prev && prev.isConnected && prev.focus) prev.focus({ preventScroll: true });
    };

    // asked: the host called show() (after an interaction); otherwise the survey's own trigger opened it.
    const open = (payload, pk, who, ctx, asked) => {
      if (host) return false;
      // The server always sends every word (in the survey's language, else English) and the
      // whole scale: no defaults of its to keep in step here.
      const s = payload.survey, sc = s.scale, t = s.texts, labels = s.scale_labels || {};
      const min = sc.min, max = Math.min(sc.max, min + 10); // the layout is made for at most 11 scores
      const lang = s.language || navigator.language || 'en';
      const rtl = /^(ar|fa|he|ur)\b/i.test(lang);

      shown = true;
      prev = d.activeElement;
      const mine = host = d.createElement('feedback-widget');
      const root = host.attachShadow({ mode: 'open' });
      addStyles(root);

      // Step 1: the question and one button per score; end labels describe their buttons.
      const btns = [], ends = h('div', { class: 'l' });
      for (let n = min; n <= max; n++) btns.push(h('button', { type: 'button', text: String(n) }));
      keys(labels).sort((a, b) => a - b).forEach(k => {
        const b = btns[k - min];
        if (!b || !labels[k]) return;
        ends.appendChild(h('span', { id: 'l' + k, text: labels[k] }));
        b.setAttribute('aria-describedby', 'l' + k);
      });
      const group = h('div', { class: btns.length > 7 ? 'g k' : 'g', role: 'group', 'aria-labelledby': 'q' }, btns);
      const step1 = h('div', 0, [h('p', { id: 'q', class: 'q', text: s.question || '' }), group, ends]);
      // Step 2: the comment. The live region says what became of the score, then "thanks".
      const live = h('p', { class: 's', 'aria-live': 'polite' });
      const say = (text, cls) => { live.className = cls || 's'; live.textContent = text; };
      const label = h('label', { for: 'c' });
      const ta = h('textarea', { id: 'c', rows: 3, maxlength: 5000 });
      const skip = h('button', { type: 'button', text: t.skip });
      const send = h('button', { type: 'button', class: 'p', text: t.send });
      const step2 = h('div', { hidden: true }, [label, ta, h('div', { class: 'r' }, [skip, send])]);
      const x = h('button', { type: 'button', class: 'x', 'aria-label': t.close },
        [h('span', { 'aria-hidden': 'true', text: '\u00d7' })]);
      const box = h('div', {
        class: 'w', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'q',
        lang, dir: rtl ? 'rtl' : 'ltr'
      }, [step1, live, step2, x]);
      root.appendChild(box);

      let entry = null, posted = null;

      // Only what is true: saved after a 2xx; refused after a 4xx that will never do (no comment to
      // add then); otherwise (offline, 5xx, no answer yet) it waits in the queue to be sent later.
      const told = r => {
        if (host !== mine || box.className !== 'w') return; // closed, or the customer has finished
        if (r && !ok(r.s) && !again(r.s)) {
          step1.hidden = step2.hidden = true;
          box.className = 'w done';
          say(t.refused_score);
          x.focus();
          return;
        }
        say(r && ok(r.s) ? t.sent_score : t.queued_score);
        return true;
      };

      // The score is sent the moment it is chosen: a partial response that already counts.
      const choose = async (n, b) => {
        if (entry) return;
        b.setAttribute('aria-pressed', 'true');
        entry = cur = { base, pk, key: uuid(), body: withWho({ score: n }, who, ctx), at: Date.now() };
        put(entry); // queued before it is sent: nothing is lost if sending fails
        posted = post(entry);
        const r = await Promise.race([posted, sleep(4000)]);
        if (!told(r)) return;
        const low = n <= sc.low_score_max;
        label.textContent = (r && r.j && r.j.follow_up_prompt) || (low && s.low_score_prompt) || s.comment_prompt || '';
        step1.hidden = true;
        step2.hidden = false;
        ta.focus();
        if (!r) told(await posted); // no answer within 4 s: say what it was once it comes
      };

      // The comment updates the same response ("No comment" sends nothing more).
      const finish = async comment => {
        step2.hidden = true;
        box.className = 'w done';
        say(t.thanks);
        x.focus();
        timer = setTimeout(safe(close), 4000);
        if (!comment) return;
        entry.comment = comment;
        put(entry); // the pending PATCH survives a reload too
        const a = body201(await posted);
        // The score did not arrive, or its edit token expired: send it again, then the comment.
        if (!a || !(await patch(entry, a))) await sync(entry);
        if (cur === entry) cur = null;
      };

      btns.forEach((b, i) => on(b, 'click', () => choose(min + i, b)));
      on(group, 'keydown', ev => {
        const i = btns.indexOf(root.activeElement), k = ev.key, f = rtl ? -1 : 1, n = btns.length;
        const j = k === 'ArrowRight' ? i + f : k === 'ArrowLeft' ? i - f : k === 'ArrowDown' ? i + 1 :
          k === 'ArrowUp' ? i - 1 : k === 'Home' ? 0 : k === 'End' ? n - 1 : null;
        if (j == null || i < 0) return;
        ev.preventDefault();
        btns[(j + n) % n].focus();
      });
      on(send, 'click', () => finish(ta.value.trim()));
      on(skip, 'click', () => finish(''));
      on(x, 'click', close);
      on(box, 'keydown', ev => {
        if (ev.key === 'Escape') { ev.stopPropagation(); close(); }
      });

      (d.body || d.documentElement).appendChild(host);
      // Focus moves in when the host asked, or when nothing on the page has it. A survey that opens
      // by itself must not take the keys from someone typing on the page (a space would choose a
      // score): it is announced instead, and is next in the Tab order after the page.
      if (asked || !prev || prev === d.body || prev === d.documentElement) btns[0].focus({ preventScroll: true });
      else timer = setTimeout(safe(() => live.textContent || say(t.opened, 'v')), 200);
      req('POST', '/w/' + enc(pk) + '/displays', withWho({}, who, ctx)); // one impression
      if (!keys(who).length) saw(pk);
      return true;
    };

    // The survey's own trigger, unless the tag says data-trigger="manual".
    const auto = async () => {
      const who = customer(), p = await fetchSurvey(PK, who);
      if (!p || p.suppressed) return;
      const tr = p.trigger || {}, ms = (+tr.delay_seconds || 0) * 1000;
      const go = () => shown || open(p, PK, who, {});
      if (tr.mode === 'load' || (tr.mode === 'exit_intent' && w.matchMedia('(pointer:coarse)').matches)) {
        setTimeout(safe(go), ms); // touch devices have no exit intent: after the delay
      } else if (tr.mode === 'exit_intent') {
        const leave = safe(ev => { // the pointer left the window through the top edge
          if (ev.relatedTarget || ev.clientY > 0) return;
          d.removeEventListener('mouseout', leave);
          go();
        });
        d.addEventListener('mouseout', leave);
      }
    };

    const ready = flush(); // what an earlier page left pending goes first
    if (PK && ds.trigger !== 'manual') ready.then(safe(auto));
    on(w, 'online', flush);

    w.FeedbackWidget = Object.freeze({
      // show({touchpoint, customer: {id, email}, context: {...}}) -> Promise<boolean>, never rejects
      show: safe(async o => {
        o = o || {};
        await ready;
        const pk = o.touchpoint || PK, who = customer(o.customer), ctx = context(o.context);
        if (host || !pk) return false;
        const p = await fetchSurvey(pk, who);
        return !!p && !p.suppressed && open(p, pk, who, ctx, true);
      }),
      hide: safe(close)
    });
  } catch (e) { /* never throw into the host page */ }
})();
