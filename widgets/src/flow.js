// The survey flow: choose a score -> comment -> finish. The score is sent the moment it is
// chosen, a partial response that already counts if the customer leaves now; the comment then
// updates the same response.

import { config } from './config.js';
import { withWhoAndWhere } from './answer.js';
import { created, doneWithOwn, newKey, save, sendComment, sendEntry, sendingOwn, sendScore } from './queue.js';
import { refusedForGood, succeeded } from './request.js';

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

// view: renderSurvey's; isOpen: whether this very card is still on the page; closeLater(ms).
export const surveyFlow = ({ view, survey, touchpoint, who, where, isOpen, closeLater }) => {
  const texts = survey.texts;
  let entry = null, posted = null, finished = false;

  const end = message => {
    finished = true;
    view.end(message);
  };

  // Says only what is true of the score: saved after a 2xx; refused after a 4xx that will never
  // do (there is no comment to add then); otherwise (offline, 5xx, no answer yet) it waits in the
  // queue to be sent later. True when the customer may go on to the comment.
  const report = answer => {
    if (!isOpen() || finished) return false;
    if (answer && refusedForGood(answer.status)) {
      end(texts.refused_score);
      return false;
    }
    view.say(answer && succeeded(answer.status) ? texts.sent_score : texts.queued_score);
    return true;
  };

  const choose = async (score, button) => {
    if (entry) return;
    button.setAttribute('aria-pressed', 'true');
    entry = {
      base: config.base, pk: touchpoint, key: newKey(),
      body: withWhoAndWhere({ score }, who, where), at: Date.now()
    };
    sendingOwn(entry);
    save(entry); // queued before it is sent: nothing is lost if sending fails
    posted = sendScore(entry);
    const answer = await Promise.race([posted, sleep(4000)]);
    if (!report(answer)) return;
    const low = score <= survey.scale.low_score_max;
    view.askForComment((answer && answer.json && answer.json.follow_up_prompt)
      || (low && survey.low_score_prompt) || survey.comment_prompt || '');
    if (!answer) report(await posted); // no answer within 4 s: say what it was once it comes
  };

  // "No comment" sends nothing more.
  const finish = async comment => {
    end(texts.thanks);
    closeLater(4000);
    if (!comment) return;
    entry.comment = comment;
    save(entry); // the pending PATCH survives a reload too
    const response = created(await posted);
    // The score did not arrive, or its edit token expired: send it again, then the comment.
    if (!response || !(await sendComment(entry, response))) await sendEntry(entry);
    doneWithOwn(entry);
  };

  return { choose, finish };
};
