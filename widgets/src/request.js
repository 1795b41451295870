// HTTP to the API. Callers decide from the status alone, so a request never rejects.

import { config } from './config.js';

export const touchpointPath = (touchpoint, rest) => '/w/' + encodeURIComponent(touchpoint) + rest;

// Resolves to {status, json}: status 0 after a network error or no answer within 10 s,
// json null when the body is empty or not JSON.
export const request = async (method, path, body, headers) => {
  const controller = window.AbortController ? new AbortController() : null;
  const timeout = controller && setTimeout(() => controller.abort(), 10000);
  try {
    const response = await fetch(config.base + path, {
      method, mode: 'cors', credentials: 'omit', cache: 'no-store',
      signal: controller ? controller.signal : undefined,
      headers: Object.assign(body ? { 'Content-Type': 'application/json' } : {}, headers),
      body: body ? JSON.stringify(body) : undefined
    });
    let json = null;
    try { json = await response.json(); } catch (error) { /* empty or not JSON */ }
    return { status: response.status, json };
  } catch (error) {
    return { status: 0, json: null };
  } finally {
    clearTimeout(timeout);
  }
};

export const succeeded = status => status > 199 && status < 300;

// Network error or timeout, 408, 409 (the first try is still in flight), 425, 429, 5xx.
export const worthRetrying = status =>
  !status || status === 408 || status === 409 || status === 425 || status === 429 || status > 499;

// A 4xx that can never succeed: sending the same again would be refused again.
export const refusedForGood = status => !succeeded(status) && !worthRetrying(status);
