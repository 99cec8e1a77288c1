// Site-wide behaviour with no build step. The chat client is separate.
(function () {
  "use strict";

  // Quick exit: replace this page in the history so "Back" does not return here.
  function quickExit(event) {
    var link = event.currentTarget;
    event.preventDefault();
    try { document.body.innerHTML = ""; } catch (e) { /* leave at once regardless */ }
    window.location.replace(link.href);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var exits = document.querySelectorAll("[data-quick-exit]");
    exits.forEach(function (link) { link.addEventListener("click", quickExit); });
    // Pressing Escape three times quickly also leaves, for a one-handed parent.
    var presses = [];
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !exits.length) { return; }
      var now = Date.now();
      presses = presses.filter(function (t) { return now - t < 1500; });
      presses.push(now);
      if (presses.length >= 3) { exits[0].click(); }
    });
  });
})();
