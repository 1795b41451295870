// What the host page told us, on our own <script> tag.

export const config = {
  dataset: {},    // live: data-customer-id and data-customer-email are read when they are needed
  touchpoint: '', // data-touchpoint, the publishable key
  base: '',       // the API is wherever this script came from
  styleNonce: '', // for the <style> fallback under a CSP (see render.js)
};

// Called once, while the script runs: document.currentScript is null after that.
export const readConfig = () => {
  const current = document.currentScript;
  // currentScript is null under some loaders, or is a loader's own tag: ours is the one with data-touchpoint.
  const script = current && current.dataset.touchpoint
    ? current : document.querySelector('script[data-touchpoint]') || current;
  config.dataset = (script && script.dataset) || {};
  config.touchpoint = config.dataset.touchpoint;
  config.base = script && script.src ? new URL(script.src, location.href).origin : '';
  config.styleNonce = config.dataset.styleNonce || (script && script.nonce) || '';
};
