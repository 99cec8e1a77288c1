// Village's chat client: one socket per tab, no framework, no build step.
//
// It survives weak connections: reconnects with backoff and jitter, catches
// up with `after_seq` and fills seq gaps with `history`, resends what was
// not acknowledged with the same client_id (always safe), and keeps unsent
// text across a reload. Everything a person typed is rendered as text.
// docs/protocol.md describes every frame.
(function () {
  "use strict";

  var MAX_BODY = 2000;
  var TYPING_EVERY = 2000;
  var TYPING_SHOWN = 5000;
  var PROBE_TIMEOUT = 5000;

  // --- small helpers --------------------------------------------------------

  function uuid4() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  // Text with http(s) links made clickable; never HTML from the message.
  var LINK = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
  function renderText(container, text) {
    var last = 0;
    text.replace(LINK, function (url, index) {
      container.appendChild(document.createTextNode(text.slice(last, index)));
      var a = el("a", null, url);
      a.href = url;
      a.rel = "nofollow noopener noreferrer";
      a.target = "_blank";
      container.appendChild(a);
      last = index + url.length;
      return url;
    });
    container.appendChild(document.createTextNode(text.slice(last)));
  }

  function timeOf(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  }

  // Set when site.js has cleared this browser (logout, quick exit): from then
  // on nothing of hers is written back while the page is leaving.
  var forgotten = false;
  document.addEventListener("village:forget", function () { forgotten = true; });

  function store(key, value) {
    if (forgotten) { return; }
    try {
      if (value === null || value === "" || (Array.isArray(value) && !value.length)) {
        localStorage.removeItem(key);
      } else {
        localStorage.setItem(key, JSON.stringify(value));
      }
    } catch (e) { /* private mode or full: the page still works */ }
  }

  function load(key, fallback) {
    try {
      var raw = localStorage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) { return fallback; }
  }

  // Unsent words belong to one person: a family tablet is shared, and what
  // Amy typed must never be shown to, or sent as, whoever logs in next.
  // Keys are "village:u<user id>:<kind>:<room>"; site.js clears them on
  // logout, on quick exit and when someone else's page loads.
  function personKey(userId, kind, roomId) {
    return "village:u" + userId + ":" + kind + ":" + roomId;
  }

  // --- the connection -------------------------------------------------------

  function Connection(handlers) {
    this.handlers = handlers;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.probeTimer = null;
    this.stopped = false;
    var self = this;
    window.addEventListener("online", function () { self.nudge(); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { self.nudge(); }
    });
    window.addEventListener("pageshow", function (event) { if (event.persisted) { self.nudge(); } });
  }

  Connection.prototype.url = function () {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/chat/";
  };

  Connection.prototype.connect = function () {
    if (this.stopped) { return; }
    clearTimeout(this.timer);
    var self = this;
    var ws = new WebSocket(this.url());
    this.ws = ws;
    this.handlers.status("connecting");
    ws.onmessage = function (event) {
      if (self.ws !== ws) { return; }
      clearTimeout(self.probeTimer);
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "hello") { self.attempt = 0; self.handlers.status("online"); }
      self.handlers.frame(frame);
    };
    ws.onclose = function (event) {
      if (self.ws !== ws) { return; }
      self.ws = null;
      clearTimeout(self.probeTimer);
      if (event.code === 4001 || self.stopped) { self.handlers.status("closed"); return; }
      self.handlers.status("offline");
      self.schedule();
    };
  };

  Connection.prototype.schedule = function () {
    var base = Math.min(30000, 1000 * Math.pow(2, this.attempt));
    this.attempt += 1;
    var self = this;
    this.timer = setTimeout(function () { self.connect(); }, base / 2 + Math.random() * base / 2);
  };

  Connection.prototype.isOpen = function () {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  };

  Connection.prototype.send = function (frame) {
    if (!this.isOpen()) { return false; }
    this.ws.send(JSON.stringify(frame));
    return true;
  };

  // After sleep or a network change a socket may be dead without knowing it:
  // ask for something, and start afresh if no answer comes.
  Connection.prototype.nudge = function () {
    if (this.stopped) { return; }
    if (!this.ws) { this.attempt = 0; this.connect(); return; }
    if (!this.isOpen()) { return; }
    var self = this;
    var dead = this.ws;
    this.handlers.probe();
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(function () {
      if (self.ws !== dead) { return; }
      self.ws = null;
      try { dead.close(); } catch (e) { /* already gone */ }
      self.attempt = 0;
      self.connect();
    }, PROBE_TIMEOUT);
  };

  Connection.prototype.stop = function () {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) { this.ws.close(); }
  };

  function goToLogin(loginUrl) {
    window.location.href = loginUrl + "?next=" + encodeURIComponent(location.pathname);
  }

  // --- the room page --------------------------------------------------------

  function RoomPage(root) {
    var d = root.dataset;
    this.root = root;
    this.roomId = Number(d.room);
    this.me = Number(d.me);
    this.isStaff = d.staff === "true";
    // Coordinators may mark a published message as a missed risk (a label
    // for retraining, and a flag): the page's address with the id in place of 0.
    this.missedUrl = d.missedUrl || "";
    this.canPost = d.canPost === "true";
    this.canManage = d.canManage === "true";
    this.reason = d.reason || "";
    this.nextSession = d.nextSession || "";
    this.loginUrl = d.loginUrl;
    this.homeUrl = d.homeUrl;
    this.kind = d.kind;

    this.list = document.getElementById("messages");
    this.banner = document.getElementById("session-banner");
    this.onlineLine = document.getElementById("online");
    this.connectionLine = document.getElementById("connection");
    this.announcer = document.getElementById("announcer");
    this.typingLine = document.getElementById("typing");
    this.loadEarlier = document.getElementById("load-earlier");
    this.composer = document.getElementById("composer");
    this.textarea = document.getElementById("message-body");
    this.hint = document.getElementById("composer-hint");
    this.readOnlyNote = document.getElementById("read-only-note");
    this.openButton = document.getElementById("open-session");
    this.closeButton = document.getElementById("close-session");

    this.messages = {};          // id -> message
    this.items = {};             // id -> <li>
    this.seqs = {};              // seq -> true
    this.lastSeq = 0;            // every seq up to here is here
    this.oldestSeq = null;
    this.joined = false;
    this.sessionOpen = false;
    this.readOnly = false;
    this.typers = {};
    this.lastTyping = 0;
    this.lastReadSent = 0;
    this.pendingKey = personKey(this.me, "pending", this.roomId);
    this.draftKey = personKey(this.me, "draft", this.roomId);
    // The person the socket speaks for, from its hello frame (null until then).
    this.socketUser = null;
    var me = this.me;
    this.pending = load(this.pendingKey, []).filter(function (p) {   // [{client_id, body, state, detail, author}]
      return p && p.author === me;
    });
    this.retryTimers = {};

    var self = this;
    this.connection = new Connection({
      frame: function (f) { self.onFrame(f); },
      status: function (s) { self.onStatus(s); },
      probe: function () { self.join(); }
    });
    this.bindComposer();
    this.pending.forEach(function (p) { p.state = "sending"; self.renderPending(p); });
    if (this.loadEarlier) {
      this.loadEarlier.addEventListener("click", function () {
        if (self.oldestSeq !== null) {
          self.connection.send({ type: "history", room: self.roomId, before_seq: self.oldestSeq, limit: 50 });
        }
      });
    }
    if (this.openButton) {
      this.openButton.addEventListener("click", function () {
        self.connection.send({ type: "session", room: self.roomId, action: "open" });
      });
      this.closeButton.addEventListener("click", function () {
        if (window.confirm("Close the session for everyone?")) {
          self.connection.send({ type: "session", room: self.roomId, action: "close" });
        }
      });
    }
    this.list.addEventListener("click", function (event) { self.onListClick(event); });
    document.addEventListener("visibilitychange", function () { self.markRead(); });
    this.connection.connect();
  }

  RoomPage.prototype.join = function () {
    var frame = { type: "join", room: this.roomId, after_seq: this.joined ? this.lastSeq : null };
    if (this.reason) { frame.reason = this.reason; }
    this.connection.send(frame);
  };

  RoomPage.prototype.onStatus = function (status) {
    // A new socket speaks for whoever holds the cookie now: wait for its hello.
    if (status !== "online") { this.socketUser = null; }
    var words = {
      connecting: "Connecting…",
      online: "",
      offline: "You're offline. We'll reconnect as soon as we can; your messages are kept.",
      closed: ""
    };
    this.connectionLine.textContent = words[status] || "";
    this.root.classList.toggle("is-offline", status === "offline");
  };

  RoomPage.prototype.onFrame = function (f) {
    if (f.room !== undefined && f.room !== this.roomId && f.type !== "room_added") { return; }
    switch (f.type) {
      case "hello": return this.onHello(f);
      case "joined": return this.onJoined(f);
      case "ack": return this.onAck(f);
      case "message": return this.addMessage(f.message, true);
      case "message_update": return this.addMessage(f.message, false);
      case "history": return this.onHistory(f);
      case "typing": return this.onTyping(f.user);
      case "presence": return this.renderOnline(f.online);
      case "session": return this.setSession(f.open);
      case "room_update": return this.setReadOnly(f.read_only);
      case "room_removed": return this.onRemoved();
      case "revoked": this.connection.stop(); return goToLogin(this.loginUrl);
      case "support": return this.showSupport(f.card);
      case "warning": return this.showWarning(f.warning);
      case "reported": return this.flash("Thank you. The team will look at it.");
      case "error": return this.onError(f);
    }
  };

  RoomPage.prototype.onHello = function (f) {
    this.socketUser = f.user ? f.user.id : null;
    if (this.socketUser !== this.me) {
      // Someone else has logged in on this browser since the page was drawn:
      // nothing of the earlier person's may go out under the new login.
      this.connection.stop();
      window.location.reload();
      return;
    }
    this.join();
  };

  RoomPage.prototype.onJoined = function (f) {
    var first = !this.joined;
    this.joined = true;
    var self = this;
    f.messages.forEach(function (m) { self.addMessage(m, false); });
    f.held.forEach(function (m) { self.addMessage(m, false); });
    if (first) {
      this.oldestSeq = f.messages.length ? f.messages[0].seq : null;
      this.loadEarlier.hidden = !f.more;
      this.scrollToEnd();
    } else if (f.more) {
      this.fillFrom(this.lastSeq);
    }
    this.renderOnline(f.online);
    this.setSession(f.session_open);
    this.setReadOnly(f.read_only);
    this.resendPending();
    this.markRead();
  };

  RoomPage.prototype.fillFrom = function (seq) {
    this.connection.send({ type: "history", room: this.roomId, after_seq: seq, limit: 100 });
  };

  RoomPage.prototype.onHistory = function (f) {
    var self = this;
    var before = this.oldestSeq;
    f.messages.forEach(function (m) { self.addMessage(m, false); });
    var earlier = f.messages.length && (before === null || f.messages[0].seq < before);
    if (earlier) {
      this.oldestSeq = f.messages[0].seq;
      this.loadEarlier.hidden = !f.more;
    } else if (f.more) {
      this.fillFrom(this.lastSeq);
    }
    this.markRead();
  };

  RoomPage.prototype.addMessage = function (m, live) {
    var known = this.messages[m.id];
    this.messages[m.id] = m;
    var item = this.buildItem(m);
    var pendingItem = this.list.querySelector('[data-client-id="' + m.client_id + '"]');
    if (known && this.items[m.id]) {
      var old = this.items[m.id];
      if (old.dataset.seq === String(m.seq)) {
        old.replaceWith(item);
      } else {
        old.remove();
        this.insert(item, m.seq);
      }
    } else if (pendingItem && m.author.id === this.me) {
      pendingItem.remove();
      this.insert(item, m.seq);
    } else {
      this.insert(item, m.seq);
    }
    this.items[m.id] = item;
    if (m.seq !== null) {
      this.seqs[m.seq] = true;
      var gap = m.seq > this.lastSeq + 1;
      while (this.seqs[this.lastSeq + 1]) { this.lastSeq += 1; }
      if (live && gap && this.joined) { this.fillFrom(this.lastSeq); }
    }
    if (live && !known && m.author.id !== this.me && m.body) {
      this.announce(m.author.display_name + ": " + m.body);
      if (this.isNearBottom()) { this.scrollToEnd(); }
    }
    if (live) { this.markRead(); }
  };

  RoomPage.prototype.insert = function (item, seq) {
    if (seq === null || seq === undefined) {
      var firstPending = this.list.querySelector("[data-client-id]:not([data-id])");
      this.list.insertBefore(item, firstPending);
      return;
    }
    var children = this.list.children;
    for (var i = 0; i < children.length; i += 1) {
      var other = children[i].dataset.seq;
      if (other === "" || other === undefined || Number(other) > seq) {
        this.list.insertBefore(item, children[i]);
        return;
      }
    }
    this.list.appendChild(item);
  };

  // The composer sticks to the bottom of the screen: scroll the page itself
  // to its end so the newest message shows above it.
  RoomPage.prototype.scrollToEnd = function () {
    window.scrollTo(0, document.documentElement.scrollHeight);
  };

  RoomPage.prototype.isNearBottom = function () {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  };

  RoomPage.prototype.buildItem = function (m) {
    var mine = m.author.id === this.me;
    var li = el("li", "msg");
    li.dataset.id = m.id;
    li.dataset.seq = m.seq === null ? "" : m.seq;
    li.dataset.clientId = m.client_id;
    li.classList.toggle("mine", mine);
    li.classList.add("status-" + m.status);
    var meta = el("p", "msg-meta");
    meta.appendChild(el("span", "author", mine ? "You" : m.author.display_name));
    if (m.author.role !== "member") { meta.appendChild(roleBadge(m.author.role)); }
    var time = el("time", null, timeOf(m.created_at));
    time.dateTime = m.created_at;
    meta.appendChild(time);
    if (mine && m.status === "published") { meta.appendChild(el("span", "sent", "Sent")); }
    li.appendChild(meta);
    var body = el("p", "msg-body");
    if (m.status === "deleted" && !m.body) {
      body.textContent = "This message was deleted.";
      body.classList.add("removed");
    } else if (m.status === "hidden" && !m.body) {
      body.textContent = "This message was removed by a moderator.";
      body.classList.add("removed");
    } else {
      renderText(body, m.body || "");
    }
    li.appendChild(body);
    var state = null;
    if (m.status === "screening") {
      // Stored and safe; the group sees it once screening clears it (a second or two).
      state = mine ? "Sending…" : "Being checked before the group sees it: only volunteers and coordinators can see this.";
    } else if (m.status === "held") {
      state = mine ? "Waiting for review: it has been shared with the volunteers, not the group yet."
        : "Held for review: only volunteers and coordinators can see this.";
    } else if (m.status === "blocked") {
      state = mine ? "Not shared. A coordinator will be in touch if needed." : "Blocked: not shared with the room.";
    } else if (m.status === "deleted" && m.body) {
      state = "Deleted by its author (only staff see the text).";
    } else if (m.status === "hidden" && m.body) {
      state = "Hidden from members.";
    }
    if (state) { li.appendChild(el("p", "msg-state", state)); }
    var actions = el("div", "msg-actions");
    if (mine && (m.status === "published" || m.status === "held" || m.status === "screening")) {
      actions.appendChild(this.actionButton("delete", "Delete"));
    }
    if (!mine && m.status === "published") {
      actions.appendChild(this.actionButton("report", "Report"));
    }
    if (this.isStaff && !mine && m.status === "held") {
      actions.appendChild(this.actionButton("release", "Share with the room"));
      actions.appendChild(this.actionButton("block", "Keep it back"));
    }
    if (this.isStaff && !mine && m.status === "published") {
      actions.appendChild(this.actionButton("hide", "Hide"));
    }
    if (this.missedUrl && !mine && m.status === "published" && !m.flag) {
      var missed = el("a", "msg-action", "Missed risk?");
      missed.href = this.missedUrl.replace(/\/0\/missed\/$/, "/" + m.id + "/missed/");
      actions.appendChild(missed);
    }
    if (this.isStaff && !mine && m.status === "hidden") {
      actions.appendChild(this.actionButton("restore", "Restore"));
    }
    if (m.flag) {
      li.classList.add("flag-" + m.flag.toLowerCase());
      meta.appendChild(el("span", "badge level-" + m.flag.toLowerCase(), m.flag === "RED" ? "Urgent: check on her" : "Flagged"));
    }
    if (actions.childNodes.length) { li.appendChild(actions); }
    return li;
  };

  RoomPage.prototype.actionButton = function (action, label) {
    var button = el("button", "link-button", label);
    button.type = "button";
    button.dataset.action = action;
    return button;
  };

  RoomPage.prototype.onListClick = function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) { return; }
    var item = button.closest("li");
    var action = button.dataset.action;
    if (action === "retry") { return this.retry(item.dataset.clientId); }
    var id = Number(item.dataset.id);
    if (action === "report") { return this.openReport(id); }
    if (action === "delete" && !window.confirm("Delete this message? Others will see that it was deleted.")) { return; }
    this.connection.send({ type: action, message: id });
  };

  RoomPage.prototype.openReport = function (messageId) {
    var dialog = document.getElementById("report-dialog");
    var form = document.getElementById("report-form");
    var self = this;
    form.reset();
    form.onsubmit = function (event) {
      event.preventDefault();
      var reason = form.querySelector("input[name=reason]:checked");
      if (!reason) { return; }
      self.connection.send({ type: "report", message: messageId, reason: reason.value, note: form.note.value });
      dialog.close();
    };
    document.getElementById("report-cancel").onclick = function () { dialog.close(); };
    dialog.showModal();
  };

  RoomPage.prototype.announce = function (text) {
    var line = el("p", null, text.length > 300 ? text.slice(0, 300) + "…" : text);
    this.announcer.appendChild(line);
    while (this.announcer.childNodes.length > 5) { this.announcer.removeChild(this.announcer.firstChild); }
  };

  RoomPage.prototype.markRead = function () {
    if (!this.joined || document.visibilityState !== "visible" || this.lastSeq <= this.lastReadSent) { return; }
    if (this.connection.send({ type: "read", room: this.roomId, seq: this.lastSeq })) {
      this.lastReadSent = this.lastSeq;
    }
  };

  // --- sending ---------------------------------------------------------------

  RoomPage.prototype.bindComposer = function () {
    if (!this.composer) { return; }
    var self = this;
    this.textarea.value = load(this.draftKey, "") || "";
    this.composer.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submit();
    });
    this.textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); self.submit(); }
    });
    this.textarea.addEventListener("input", function () {
      store(self.draftKey, self.textarea.value);
      var left = MAX_BODY - self.textarea.value.length;
      self.hint.textContent = left < 200 ? left + " characters left" : "";
      var now = Date.now();
      if (self.textarea.value && now - self.lastTyping > TYPING_EVERY && self.sessionOpen) {
        self.lastTyping = now;
        self.connection.send({ type: "typing", room: self.roomId });
      }
    });
  };

  RoomPage.prototype.submit = function () {
    var body = this.textarea.value;
    if (!body.trim()) { return; }
    if (body.length > MAX_BODY) {
      this.hint.textContent = "That's too long: messages can be up to " + MAX_BODY + " characters.";
      return;
    }
    var p = { client_id: uuid4(), body: body, state: "sending", author: this.me };
    this.pending.push(p);
    this.savePending();
    this.renderPending(p);
    this.textarea.value = "";
    store(this.draftKey, null);
    this.hint.textContent = "";
    this.textarea.focus();
    this.transmit(p);
  };

  RoomPage.prototype.transmit = function (p) {
    // Only ever as the person who wrote it (see onHello).
    if (p.author !== this.me || this.socketUser !== this.me) { return; }
    this.connection.send({ type: "send", room: this.roomId, client_id: p.client_id, body: p.body });
  };

  RoomPage.prototype.resendPending = function () {
    var self = this;
    this.pending.forEach(function (p) {
      if (p.state === "sending") { self.transmit(p); }
    });
  };

  RoomPage.prototype.savePending = function () {
    store(this.pendingKey, this.pending);
  };

  RoomPage.prototype.findPending = function (clientId) {
    for (var i = 0; i < this.pending.length; i += 1) {
      if (this.pending[i].client_id === clientId) { return this.pending[i]; }
    }
    return null;
  };

  RoomPage.prototype.renderPending = function (p) {
    var li = this.list.querySelector('[data-client-id="' + p.client_id + '"]:not([data-id])');
    if (!li) {
      li = el("li", "msg mine pending");
      li.dataset.clientId = p.client_id;
      li.dataset.seq = "";
      this.list.appendChild(li);
      this.scrollToEnd();
    }
    li.textContent = "";
    var meta = el("p", "msg-meta");
    meta.appendChild(el("span", "author", "You"));
    li.appendChild(meta);
    var body = el("p", "msg-body");
    renderText(body, p.body);
    li.appendChild(body);
    var state = el("p", "msg-state");
    li.classList.toggle("failed", p.state === "failed");
    if (p.state === "failed") {
      state.textContent = "Not sent. " + (p.detail || "") + " ";
      var retry = this.actionButton("retry", "Try again");
      state.appendChild(retry);
    } else {
      state.textContent = "Sending…";
    }
    li.appendChild(state);
  };

  RoomPage.prototype.forget = function (clientId) {
    this.pending = this.pending.filter(function (p) { return p.client_id !== clientId; });
    clearTimeout(this.retryTimers[clientId]);
    this.savePending();
  };

  RoomPage.prototype.onAck = function (f) {
    this.forget(f.client_id);
    this.addMessage(f.message, false);
    if (f.notice) { this.flash(f.notice); }
  };

  // The crisis card, to this person only: plain, warm, never echoing her words.
  RoomPage.prototype.showSupport = function (card) {
    var box = document.getElementById("support-card");
    var text = document.getElementById("support-text");
    text.textContent = "";
    card.paragraphs.forEach(function (p) { text.appendChild(el("p", null, p)); });
    box.hidden = false;
    box.focus();
    document.getElementById("support-close").onclick = function () { box.hidden = true; };
  };

  RoomPage.prototype.showWarning = function (warning) {
    var box = document.getElementById("live-warning");
    box.textContent = "";
    box.appendChild(el("p", null, "A note from the coordinators: " + warning.note));
    box.hidden = false;
  };

  RoomPage.prototype.flash = function (text) {
    if (this.hint) { this.hint.textContent = text; }
    this.announce(text);
  };

  RoomPage.prototype.retry = function (clientId) {
    var p = this.findPending(clientId);
    if (!p) { return; }
    p.state = "sending";
    this.savePending();
    this.renderPending(p);
    this.transmit(p);
  };

  RoomPage.prototype.retryLater = function (p, seconds) {
    var self = this;
    clearTimeout(this.retryTimers[p.client_id]);
    this.retryTimers[p.client_id] = setTimeout(function () { self.transmit(p); }, seconds * 1000);
  };

  RoomPage.prototype.onError = function (f) {
    var p = f.ref ? this.findPending(f.ref) : null;
    if (p) {
      if (f.code === "rate_limited") { return this.retryLater(p, (f.retry_after || 2) + 0.2); }
      if (f.code === "unavailable" || f.code === "server_error") { return this.retryLater(p, 5 + Math.random() * 5); }
      p.state = "failed";
      p.detail = f.detail;
      this.savePending();
      this.renderPending(p);
      return;
    }
    if (f.ref === "join" && (f.code === "forbidden" || f.code === "reason_required")) {
      this.banner.textContent = "This room isn't available to you any more.";
      this.disableComposer();
      return;
    }
    if (f.code !== "rate_limited") { this.connectionLine.textContent = f.detail; }
  };

  // --- room state --------------------------------------------------------------

  RoomPage.prototype.setSession = function (open) {
    this.sessionOpen = open;
    if (this.kind === "direct") {
      this.banner.textContent = this.readOnly ? "This chat has ended." : "Your private 1:1 chat.";
    } else if (open) {
      this.banner.textContent = "The session is open: come and chat.";
    } else {
      this.banner.textContent = "The session is closed just now." +
        (this.nextSession ? " Next session: " + this.nextSession + "." : "") +
        " You can read the conversation any time.";
    }
    this.banner.classList.toggle("is-open", open && !this.readOnly);
    if (this.openButton) {
      this.openButton.hidden = open;
      this.closeButton.hidden = !open;
    }
    this.updateComposer();
  };

  RoomPage.prototype.setReadOnly = function (readOnly) {
    this.readOnly = !!readOnly;
    if (this.readOnlyNote) { this.readOnlyNote.hidden = !this.readOnly; }
    if (this.kind === "direct") { this.setSession(this.sessionOpen); }
    this.updateComposer();
  };

  RoomPage.prototype.updateComposer = function () {
    if (!this.composer) { return; }
    var closed = this.readOnly || !this.sessionOpen;
    this.composer.hidden = this.readOnly;
    this.textarea.disabled = closed;
    document.getElementById("send-button").disabled = closed;
    this.textarea.placeholder = closed ? "You can post when the session opens" : "Write a message";
  };

  RoomPage.prototype.disableComposer = function () {
    if (this.composer) { this.composer.hidden = true; }
  };

  // The team's badge comes from the role field, as an element of its own:
  // no name can draw it (accounts/display_names.py keeps role words out of
  // members' names as well).
  function roleBadge(role) {
    return el("span", "role-badge", role === "volunteer" ? "Volunteer" : "Coordinator");
  }

  RoomPage.prototype.renderOnline = function (people) {
    var self = this;
    var line = this.onlineLine;
    line.textContent = "";
    if (!people || !people.length) { return; }
    line.appendChild(document.createTextNode("Here now: "));
    people.forEach(function (p, i) {
      if (i) { line.appendChild(document.createTextNode(", ")); }
      var who = el("span", "person");
      who.appendChild(el("span", "person-name", p.id === self.me ? "you" : p.display_name));
      if (p.role !== "member") {
        who.appendChild(document.createTextNode(" "));
        who.appendChild(roleBadge(p.role));
      }
      line.appendChild(who);
    });
  };

  RoomPage.prototype.onTyping = function (user) {
    var self = this;
    clearTimeout(this.typers[user.id] && this.typers[user.id].timer);
    this.typers[user.id] = {
      name: user.display_name,
      role: user.role,
      timer: setTimeout(function () { delete self.typers[user.id]; self.renderTyping(); }, TYPING_SHOWN)
    };
    this.renderTyping();
  };

  RoomPage.prototype.renderTyping = function () {
    var typers = this.typers;
    var line = this.typingLine;
    var ids = Object.keys(typers);
    line.textContent = "";
    ids.forEach(function (id, i) {
      if (i) { line.appendChild(document.createTextNode(" and ")); }
      var who = el("span", "person");
      who.appendChild(el("span", "person-name", typers[id].name));
      if (typers[id].role && typers[id].role !== "member") {
        who.appendChild(document.createTextNode(" "));
        who.appendChild(roleBadge(typers[id].role));
      }
      line.appendChild(who);
    });
    if (ids.length) { line.appendChild(document.createTextNode(ids.length === 1 ? " is typing…" : " are typing…")); }
  };

  RoomPage.prototype.onRemoved = function () {
    this.connection.stop();
    try {
      sessionStorage.setItem("village:notice",
        "You're no longer part of a room you had open. If you didn't expect this, a coordinator can tell you more.");
    } catch (e) { /* the home page simply won't show the note */ }
    window.location.replace(this.homeUrl);
  };

  // --- the room list -------------------------------------------------------------

  function RoomList(root) {
    this.root = root;
    this.me = Number(root.dataset.me);
    this.loginUrl = root.dataset.loginUrl;
    var self = this;
    this.connection = new Connection({
      frame: function (f) { self.onFrame(f); },
      status: function () {},
      probe: function () { self.watchAll(); }
    });
    var note = null;
    try { note = sessionStorage.getItem("village:notice"); sessionStorage.removeItem("village:notice"); } catch (e) { /* none */ }
    var notice = document.getElementById("page-notice");
    if (note && notice) { notice.textContent = note; notice.hidden = false; }
    this.connection.connect();
  }

  RoomList.prototype.item = function (roomId) {
    return this.root.querySelector('[data-room-id="' + roomId + '"]');
  };

  RoomList.prototype.watchAll = function () {
    var self = this;
    Array.prototype.forEach.call(this.root.querySelectorAll("[data-room-id]"), function (li) {
      self.connection.send({ type: "join", room: Number(li.dataset.roomId), after_seq: Number(li.dataset.lastSeq), watch: true });
    });
  };

  RoomList.prototype.onFrame = function (f) {
    var self = this;
    switch (f.type) {
      case "hello":
        f.rooms.forEach(function (room) { self.upsert(room); });
        Array.prototype.forEach.call(this.root.querySelectorAll("[data-room-id]"), function (li) {
          var known = f.rooms.some(function (r) { return r.id === Number(li.dataset.roomId); });
          if (!known) { li.remove(); }
        });
        this.refreshEmpty();
        return this.watchAll();
      case "room_added":
        this.upsert(f.room);
        this.refreshEmpty();
        return this.connection.send({ type: "join", room: f.room.id, after_seq: f.room.last_seq, watch: true });
      case "room_removed":
        var gone = this.item(f.room);
        if (gone) { gone.remove(); }
        return this.refreshEmpty();
      case "message":
        var li = this.item(f.room);
        var m = f.message;
        if (!li || m.seq === null || m.seq <= Number(li.dataset.lastSeq)) { return; }
        li.dataset.lastSeq = m.seq;
        if (m.author.id !== this.me && m.status === "published") { this.bumpUnread(li); }
        return;
      case "session":
        var item = this.item(f.room);
        if (item && item.closest('[data-kind="group"]')) {
          this.setState(item, f.open ? "open" : "Closed");
        }
        return;
      case "room_update":
        var direct = this.item(f.room);
        if (direct && f.read_only) { this.setState(direct, "Ended"); }
        return;
      case "revoked":
        this.connection.stop();
        return goToLogin(this.loginUrl);
    }
  };

  RoomList.prototype.upsert = function (room) {
    var li = this.item(room.id);
    if (!li) {
      li = el("li", "room-item");
      li.dataset.roomId = room.id;
      var a = el("a", "room-link");
      a.href = "/rooms/" + room.id + "/";
      a.appendChild(el("span", "room-name", room.name));
      var state = el("span", "room-state");
      state.setAttribute("data-state", "");
      a.appendChild(state);
      var unread = el("span", "unread");
      unread.setAttribute("data-unread", "0");
      unread.hidden = true;
      a.appendChild(unread);
      li.appendChild(a);
      this.root.querySelector('ul[data-kind="' + room.kind + '"]').appendChild(li);
    }
    li.dataset.lastSeq = room.last_seq;
    if (room.kind === "group") {
      var next = room.next_session ? "Next session " + new Date(room.next_session).toLocaleString("en-GB", {
        weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"
      }) : "Closed";
      this.setState(li, room.session_open ? "open" : next);
    } else if (room.read_only) {
      this.setState(li, "Ended");
    }
    this.setUnread(li, room.unread);
  };

  RoomList.prototype.setState = function (li, text) {
    var state = li.querySelector("[data-state]");
    state.textContent = "";
    if (text === "open") {
      state.appendChild(el("strong", "badge badge-open", "Open now"));
    } else {
      state.textContent = text;
    }
  };

  RoomList.prototype.setUnread = function (li, count) {
    var badge = li.querySelector("[data-unread]");
    badge.dataset.unread = count;
    badge.textContent = count + " new";
    badge.hidden = !count;
  };

  RoomList.prototype.bumpUnread = function (li) {
    this.setUnread(li, Number(li.querySelector("[data-unread]").dataset.unread) + 1);
  };

  RoomList.prototype.refreshEmpty = function () {
    var root = this.root;
    ["group", "direct"].forEach(function (kind) {
      var empty = root.querySelector('[data-empty="' + kind + '"]');
      var list = root.querySelector('ul[data-kind="' + kind + '"]');
      if (empty && list) { empty.hidden = list.children.length > 0; }
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var room = document.getElementById("room");
    if (room) { window.villageRoom = new RoomPage(room); }
    var list = document.getElementById("room-list");
    if (list) { window.villageRoomList = new RoomList(list); }
  });
})();
