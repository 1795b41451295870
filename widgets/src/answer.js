// What goes with a score besides the score: who gave it and where. The API refuses a whole
// answer (422, after which the queue drops it) for one value it does not accept, so only what
// fits is sent.

import { config } from './config.js';

const keys = Object.keys;

// {id?, email?} from the page's options, else from the script tag's data attributes.
export const customer = given => {
  const merged = Object.assign({ id: config.dataset.customerId, email: config.dataset.customerEmail }, given);
  const result = {};
  if (merged.id != null && merged.id !== '') result.id = String(merged.id);
  if (merged.email) result.email = String(merged.email);
  return result;
};

export const isAnonymous = who => !keys(who).length;

// The API takes a flat object of <= 20 keys of 1-64 characters with short scalar values.
// Strings are cut at 200 code points (the API counts those, not UTF-16 units), never inside an
// emoji; NUL and lone surrogates, which the API refuses too, are left out. Numbers beyond 1e15
// either way (the API's limit) go as strings; NaN and Infinity are dropped.
export const context = given => {
  const result = {};
  keys(given && typeof given === 'object' ? given : {}).filter(key => key && key.length < 65).slice(0, 20)
    .forEach(key => {
      const value = given[key], type = typeof value;
      if (value == null || type === 'boolean' || (type === 'number' && Math.abs(value) <= 1e15)) result[key] = value;
      else if (type === 'number' && isFinite(value)) result[key] = String(value); // a long id, say
      else if (type === 'string') {
        result[key] = [...value]
          .filter(char => char > '\0' && (char.length > 1 || char < '\ud800' || char > '\udfff'))
          .slice(0, 200).join('');
      }
    });
  return result;
};

// `body` with `customer` and `context` added, each only when it says something.
export const withWhoAndWhere = (body, who, where) => {
  if (keys(who).length) body.customer = who;
  if (keys(where).length) body.context = where;
  return body;
};
