// The flags queue: refreshes its list when a flag arrives or changes, with a
// sound and a browser notification for RED. No framework, no build step.
(function () {
  "use strict";

  var alertsOn = false;

  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator();
      osc.frequency.value = 880;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.3);
    } catch (e) { /* no sound available */ }
  }

  function notify(flag) {
    if (!alertsOn || !("Notification" in window) || Notification.permission !== "granted") { return; }
    // Discreet: no names, no words from the message.
    new Notification("Urgent flag", { body: "A RED flag needs someone now.", tag: "flag-" + flag.id });
  }

  function refresh(list) {
    fetch(location.pathname + "?partial=1", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var open = Array.prototype.map.call(list.querySelectorAll("details[open]"), function (d) {
          return d.closest("[data-flag-id]").dataset.flagId;
        });
        list.innerHTML = html;  // server-rendered and escaped by the template engine
        open.forEach(function (id) {
          var d = list.querySelector('[data-flag-id="' + id + '"] details');
          if (d) { d.open = true; }
        });
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("flag-list");
    if (!list) { return; }
    var status = document.getElementById("queue-status");
    var led = (list.dataset.ledRooms || "").split(",").filter(Boolean).map(Number);
    var button = document.getElementById("enable-alerts");
    button.addEventListener("click", function () {
      alertsOn = true;
      beep();
      if ("Notification" in window) { Notification.requestPermission(); }
      button.textContent = "Sound and alerts are on";
      button.disabled = true;
    });
    var attempt = 0;
    function connect() {
      var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/chat/");
      ws.onmessage = function (event) {
        var f = JSON.parse(event.data);
        if (f.type === "hello") {
          attempt = 0;
          status.textContent = "";
          led.forEach(function (room) { ws.send(JSON.stringify({ type: "join", room: room, after_seq: null, watch: true })); });
          refresh(list);
        } else if (f.type === "flag" || f.type === "flag_update") {
          if (f.type === "flag" && f.flag.level === "RED" && !f.flag.acknowledged) {
            if (alertsOn) { beep(); }
            notify(f.flag);
          }
          refresh(list);
        } else if (f.type === "revoked") {
          location.href = "/accounts/login/?next=" + encodeURIComponent(location.pathname);
        }
      };
      ws.onclose = function (event) {
        if (event.code === 4001) { return; }
        status.textContent = "Reconnecting… new flags will appear when we're back.";
        var base = Math.min(30000, 1000 * Math.pow(2, attempt++));
        setTimeout(connect, base / 2 + Math.random() * base / 2);
      };
    }
    connect();
  });
})();
