// Fatigue for anonymous visitors, whom the server cannot recognise: this browser remembers when
// it last showed each survey, and keeps quiet for the touchpoint's fatigue window.

const STORAGE_KEY = 'feedback_widget.seen.v1';
const DAY_MS = 864e5;

const lastShown = () => {
  try { return JSON.parse(localStorage.getItem(STORAGE_KEY)) || {}; } catch (error) { return {}; }
};

export const rememberShown = touchpoint => {
  try {
    const shown = lastShown();
    shown[touchpoint] = Date.now();
    localStorage.setItem(STORAGE_KEY, JSON.stringify(shown));
  } catch (error) { /* no storage: every page may ask */ }
};

export const isResting = (touchpoint, fatigueDays) =>
  Date.now() - (+lastShown()[touchpoint] || 0) < (+fatigueDays || 0) * DAY_MS;
