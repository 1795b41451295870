// The survey's DOM, in an open Shadow DOM: the page's selectors cannot reach in, ours cannot
// reach out. Built with createElement and textContent only: server text is never HTML, and
// there is no innerHTML for a CSP or Trusted Types to refuse.

import { config } from './config.js';
import { CSS } from './styles.js';

// attributes: null and false leave one out, true sets it empty, `text` is the textContent.
const element = (tag, attributes, children) => {
  const node = document.createElement(tag);
  Object.keys(attributes || {}).forEach(name => {
    const value = attributes[name];
    if (value == null || value === false) return;
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : value);
  });
  (children || []).forEach(child => node.appendChild(child));
  return node;
};

let sheet; // one constructable stylesheet, shared by every survey this page shows

const addStyles = root => {
  if ('adoptedStyleSheets' in root) {
    try {
      if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); }
      root.adoptedStyleSheets = [sheet]; // CSP does not restrict these: no nonce needed
      return;
    } catch (error) { /* not constructable here (Safari < 16.4): fall back to <style nonce> */ }
  }
  root.appendChild(element('style', { nonce: config.styleNonce || null, text: CSS }));
};

// The card, not yet in the page: the question over one button per score (step one), the
// comment box (step two, hidden), the live line between them and the close button. Returns
// what the survey flow and the dialog work with.
export const renderSurvey = (survey, lang, rtl) => {
  const texts = survey.texts, labels = survey.scale_labels || {};
  const min = survey.scale.min;
  const max = Math.min(survey.scale.max, min + 10); // the layout is made for at most 11 scores

  const host = document.createElement('feedback-widget');
  const root = host.attachShadow({ mode: 'open' });
  addStyles(root);

  const scoreButtons = [];
  for (let score = min; score <= max; score++) scoreButtons.push(element('button', { type: 'button', text: String(score) }));
  // The end labels are visible text that describes the buttons at the ends of the scale.
  const ends = element('div', { class: 'l' });
  Object.keys(labels).sort((one, other) => one - other).forEach(score => {
    const button = scoreButtons[score - min];
    if (!button || !labels[score]) return;
    ends.appendChild(element('span', { id: 'l' + score, text: labels[score] }));
    button.setAttribute('aria-describedby', 'l' + score);
  });
  const scoreGroup = element('div',
    { class: scoreButtons.length > 7 ? 'g k' : 'g', role: 'group', 'aria-labelledby': 'q' }, scoreButtons);
  const scoreStep = element('div', null,
    [element('p', { id: 'q', class: 'q', text: survey.question || '' }), scoreGroup, ends]);

  // Says what became of the score, then "thanks"; the focus stays where the customer is.
  const live = element('p', { class: 's', 'aria-live': 'polite' });
  const commentLabel = element('label', { for: 'c' });
  const commentBox = element('textarea', { id: 'c', rows: 3, maxlength: 5000 });
  const skipButton = element('button', { type: 'button', text: texts.skip });
  const sendButton = element('button', { type: 'button', class: 'p', text: texts.send });
  const commentStep = element('div', { hidden: true },
    [commentLabel, commentBox, element('div', { class: 'r' }, [skipButton, sendButton])]);
  const closeButton = element('button', { type: 'button', class: 'x', 'aria-label': texts.close },
    [element('span', { 'aria-hidden': 'true', text: '\u00d7' })]);

  const card = element('div', {
    class: 'w', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'q',
    lang, dir: rtl ? 'rtl' : 'ltr'
  }, [scoreStep, live, commentStep, closeButton]);
  root.appendChild(card);

  const say = (text, className) => { live.className = className || 's'; live.textContent = text; };

  return {
    host, root, card, min, scoreButtons, scoreGroup, commentBox, skipButton, sendButton, closeButton, say,
    // Off screen, and only if nothing has been said yet.
    announce: text => live.textContent || say(text, 'v'),
    askForComment: prompt => {
      commentLabel.textContent = prompt;
      scoreStep.hidden = true;
      commentStep.hidden = false;
      commentBox.focus();
    },
    // Nothing more to do but read the message and close.
    end: message => {
      scoreStep.hidden = commentStep.hidden = true;
      card.className = 'w done';
      say(message);
      closeButton.focus();
    },
  };
};
