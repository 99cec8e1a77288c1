// Site-wide behaviour with no build step. The chat client is separate.
(function () {
  "use strict";

  // --- what Village keeps in this browser ----------------------------------
  //
  // The chat keeps a person's drafts and unsent messages under keys
  // "village:u<user id>:..." (chat.js). A family tablet is shared: none of it
  // may reach whoever uses the browser next, so it is cleared on logout, on
  // quick exit, and whenever a page is drawn for someone else.

  var PREFIX = "village:";

  function personPrefix(userId) { return PREFIX + "u" + userId + ":"; }

  function villageKeys(storage) {
    var keys = [];
    for (var i = 0; i < storage.length; i += 1) {
      var key = storage.key(i);
      if (key && key.indexOf(PREFIX) === 0) { keys.push(key); }
    }
    return keys;
  }

  // Remove Village's keys from `storage`, except those `keep` says to keep.
  function forget(storage, keep) {
    try {
      villageKeys(storage).forEach(function (key) {
        if (!keep || !keep(key)) { storage.removeItem(key); }
      });
    } catch (e) { /* storage switched off: there is nothing to clear */ }
  }

  // Tell the chat first, so that it writes nothing back while the page leaves.
  function announceForgetting() {
    try { document.dispatchEvent(new CustomEvent("village:forget")); } catch (e) { /* old browser */ }
  }

  function forgetEverything() {
    announceForgetting();
    forget(window.localStorage, null);
    forget(window.sessionStorage, null);
  }

  function forgetPerson(userId) {
    var own = personPrefix(userId);
    announceForgetting();
    forget(window.localStorage, function (key) { return key.indexOf(own) !== 0; });
    forget(window.sessionStorage, null);
  }

  // Keep only this person's keys; anything else (someone else's, or the
  // authorless keys of earlier versions) goes before any page reads it.
  // (sessionStorage lives and dies with the tab: the room-removed notice
  // waiting there for the home page stays.)
  function forgetOthers(userId) {
    var own = personPrefix(userId);
    forget(window.localStorage, function (key) { return key.indexOf(own) === 0; });
  }

  // "pending" when a message she sent has not gone yet, "draft" when she has
  // started one, else "".
  function unsent(userId) {
    var own = personPrefix(userId);
    var found = "";
    try {
      villageKeys(window.localStorage).forEach(function (key) {
        if (key.indexOf(own) !== 0) { return; }
        var value = JSON.parse(window.localStorage.getItem(key));
        var kind = key.slice(own.length).split(":")[0];
        if (kind === "pending" && Array.isArray(value) && value.length) { found = "pending"; }
        if (kind === "draft" && value && found !== "pending") { found = "draft"; }
      });
    } catch (e) { /* unreadable: treat as nothing */ }
    return found;
  }

  var UNSENT_WORDS = {
    pending: "You have a message that hasn't sent yet. If you log out now it will be deleted from this device.",
    draft: "You've started a message and haven't sent it. If you log out now it will be deleted from this device."
  };

  // Logging out: tell her first when something is unsent, then clear hers.
  function logOut(event) {
    var form = event.currentTarget;
    var me = document.body.dataset.person;
    if (!me) { return; }
    var what = unsent(me);
    var dialog = document.getElementById("unsent-dialog");
    if (!what || !dialog || typeof dialog.showModal !== "function") {
      forgetPerson(me);
      return;
    }
    event.preventDefault();
    document.getElementById("unsent-text").textContent = UNSENT_WORDS[what];
    document.getElementById("unsent-log-out").onclick = function () {
      dialog.close();
      forgetPerson(me);
      form.submit();
    };
    document.getElementById("unsent-stay").onclick = function () { dialog.close(); };
    dialog.showModal();
  }

  // Quick exit: replace this page in the history so "Back" does not return here.
  // Everything Village kept in this browser goes too: her safety comes before
  // her unsent words.
  function quickExit(event) {
    var link = event.currentTarget;
    event.preventDefault();
    forgetEverything();
    try { document.body.innerHTML = ""; } catch (e) { /* leave at once regardless */ }
    window.location.replace(link.href);
  }

  // At once, before the chat reads its keys.
  var person = document.body ? document.body.dataset.person : "";
  if (person) { forgetOthers(person); }

  document.addEventListener("DOMContentLoaded", function () {
    var exits = document.querySelectorAll("[data-quick-exit]");
    exits.forEach(function (link) { link.addEventListener("click", quickExit); });
    document.querySelectorAll("form[data-logout]").forEach(function (form) {
      form.addEventListener("submit", logOut);
    });
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
