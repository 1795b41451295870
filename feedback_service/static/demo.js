// The demo shop's own script: it asks for feedback right after an interaction
// ends, the way a real shop would call FeedbackWidget.show().
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-feedback-after]");
  if (!button) return;
  var status = document.getElementById("order-status");
  if (status) status.textContent = button.dataset.feedbackAfter === "order"
    ? "Thank you! Order A-1001 is confirmed." : "Chat ended. Thanks for contacting us.";
  if (window.FeedbackWidget) {
    window.FeedbackWidget.show({ context: { step: button.dataset.feedbackAfter, order_id: button.dataset.order || null } });
  }
});
