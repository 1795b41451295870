// The widget's CSS, a string so that the one script is everything a page loads (system fonts,
// no images). Minifiers do not shorten class names, hence the one-letter ones:
//   .w the card (.done once it only says how it ended)   .q the question
//   .g the score buttons (.k: more than 7, which wrap on narrow screens)   .l the end labels
//   .s the live line (.v: off screen)   .r the comment's buttons (.p: the primary one)   .x close
// --fbw-accent may be set by the host page on the feedback-widget element.

const ACCENT = 'var(--a)';

export const CSS =
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
  '.g button:hover{border-color:' + ACCENT + ';background:#eff6ff}' +
  '.g [aria-pressed=true]{background:' + ACCENT + ';border-color:' + ACCENT + ';color:#fff}' +
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
  '.r .p,.r .p:hover{background:' + ACCENT + ';color:#fff}' +
  '.x{position:absolute;top:10px;right:10px;width:32px;height:32px;border:0;color:#4b5563;' +
    'font-size:22px;line-height:1;font-weight:400}' +
  ':focus{outline:2px solid ' + ACCENT + ';outline-offset:2px}' +
  ':focus:not(:focus-visible){outline:none}' +
  'textarea:focus{outline-offset:0;border-color:' + ACCENT + '}' +
  '@media (max-width:480px){.w{left:0;right:0;bottom:0;width:auto;max-width:none;' +
    'border-radius:16px 16px 0 0;border-width:1px 0 0;padding-bottom:calc(20px + env(safe-area-inset-bottom))}' +
    '.g button{height:44px}}' +
  // 11 NPS scores in one row are 22px wide at 320px: two rows keep each target over 24px (WCAG 2.5.8).
  '@media (max-width:360px){.k{grid-auto-flow:row;grid-template-columns:repeat(6,1fr)}}' +
  '@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}';
