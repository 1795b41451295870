// The widget is a guest on someone else's page: nothing it does, at once or later, may throw
// into that page. Every entry point, event handler and timer goes through safe().

export const noop = () => {};

// The same function, except that its exceptions and rejections stop here.
export const safe = fn => (...args) => {
  try {
    const result = fn(...args);
    return result && result.then ? result.catch(noop) : result;
  } catch (error) { /* swallowed on purpose */ }
};

export const listen = (target, type, handler) => target.addEventListener(type, safe(handler));

export const later = (fn, ms) => setTimeout(safe(fn), ms);
