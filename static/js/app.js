/* Small helpers for every page (no inline scripts: the CSP allows only 'self').
 *
 * - After a failed submit, the error summary takes focus, so that screen readers read it
 *   and keyboard users start there; its links move focus to the field they name.
 * - A text field or area with a maximum length shows how many characters are left, as the
 *   user types (announced politely, not on every key stroke).
 * - Progressive disclosure: an element with ``data-show-name`` (a radio group's name in its
 *   form) and ``data-show-for`` (the values it belongs to, space-separated) shows only while
 *   one of those values is chosen. A hidden fieldset is also disabled, so that what it
 *   holds is not sent. Without this script every section shows, its heading saying when it
 *   applies.
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

  function chosenValue(form, name) {
    var radios = form.querySelectorAll("input[type=radio]");
    for (var i = 0; i < radios.length; i++) {
      if (radios[i].name === name && radios[i].checked) {
        return radios[i].value;
      }
    }
    return null;
  }

  function disclose(root) {
    var sections = (root || document).querySelectorAll("[data-show-name][data-show-for]");
    sections.forEach(function (section) {
      var form = section.closest("form");
      if (!form) {
        return;
      }
      var value = chosenValue(form, section.getAttribute("data-show-name"));
      var show = value !== null && section.getAttribute("data-show-for").split(" ").indexOf(value) !== -1;
      section.hidden = !show;
      if (section.tagName === "FIELDSET") {
        section.disabled = !show;
      }
    });
  }

  function discloseOnChange(event) {
    var target = event.target;
    if (target.type === "radio" && target.form && target.form.querySelector("[data-show-name]")) {
      disclose(target.form);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    disclose(document);
    focusSummary(document);
    addCounters(document);
  });
  document.addEventListener("click", focusField);
  document.addEventListener("change", discloseOnChange);
  document.addEventListener("htmx:afterSettle", function (event) {
    disclose(event.target);
    focusSummary(event.target);
    addCounters(event.target);
  });
})();
