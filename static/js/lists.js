/* Lists: the "Afdrukken" button prints the page (the print stylesheet leaves out the
 * navigation, the filters and the toolbar). Without this script the button stays hidden;
 * the browser's own print command gives the same print view.
 */
(function () {
  "use strict";

  function init() {
    document.querySelectorAll("button[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
