/* Small helpers for every page (no inline scripts: the CSP allows only 'self').
 *
 * - After a failed submit, the error summary takes focus, so that screen readers read it
 *   and keyboard users start there; its links move focus to the field they name.
 * - A text field or area with a maximum length shows how many characters are left, as the
 *   user types (announced politely, not on every key stroke).
 */
(function () {
  "use strict";

  function focusSummary(root) {
    var summary = (root || document).querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  function focusField(event) {
    var link = event.target.closest("[data-error-summary] a[data-field]");
    if (!link) {
      return;
    }
    var id = link.getAttribute("data-field");
    var input = document.getElementById(id) || document.querySelector("#" + id + "_field input, #" + id + "_field select, #" + id + "_field textarea");
    if (input) {
      event.preventDefault();
      var group = document.getElementById(id + "_field") || input;
      group.scrollIntoView({ block: "center" });
      input.focus();
    }
  }

  function counterText(element, left) {
    var template = left === 1 ? element.getAttribute("data-left-one") : element.getAttribute("data-left-many");
    return (template || "%s").replace("%s", String(left));
  }

  function addCounters(root) {
    var fields = (root || document).querySelectorAll("textarea[maxlength], input[type=text][maxlength]");
    fields.forEach(function (field) {
      var max = parseInt(field.getAttribute("maxlength"), 10);
      if (!max || max < 200 || field.hasAttribute("data-counter-added")) {
        return; /* short fields (names, codes) need no counter */
      }
      field.setAttribute("data-counter-added", "");
      var counter = document.createElement("p");
      counter.className = "app-char-counter";
      counter.id = (field.id || "field") + "_counter";
      counter.setAttribute("aria-live", "polite");
      counter.setAttribute("data-left-one", document.documentElement.getAttribute("data-left-one") || "%s character left");
      counter.setAttribute("data-left-many", document.documentElement.getAttribute("data-left-many") || "%s characters left");
      var described = field.getAttribute("aria-describedby");
      field.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
      field.insertAdjacentElement("afterend", counter);
      var timer = null;
      function update() {
        var left = max - field.value.length;
        counter.textContent = counterText(counter, left);
        counter.classList.toggle("app-char-counter--low", left < max / 10);
      }
      field.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(update, 400);
      });
      update();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusSummary(document);
    addCounters(document);
  });
  document.addEventListener("click", focusField);
  document.addEventListener("htmx:afterSettle", function (event) {
    focusSummary(event.target);
    addCounters(event.target);
  });
})();
