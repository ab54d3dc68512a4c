// Live sessions (registry_api/PROTOCOL.md, "Live sessions").
//
// <qtr-share for="<qt-circuit id>">: the presenter opens a session (POST /sessions), then
// every run of that circuit is streamed frame by frame over the `present` WebSocket (one
// binary message per qtcore frame, acknowledged by the server) until "End session".
//
// <qtr-watch>: the viewer page (`?session=<id>`). It connects to `watch`, receives a text
// {"type":"frame","id","seq"} then the frame's bytes, shows them in <qtr-frame-player>,
// reconnects with `last_id` after a dropped connection (nothing missed, nothing twice) and
// says "Session ended" at {"type":"end"}.

import { decodeFrame } from "./frames.js";
import "./frame-player.js";
import {
  currentSession,
  RegistryError,
  registryAvailable,
  request,
  unavailableMessage,
  watchLink,
  wsUrl,
} from "./registry.js";
import { authLine, ensureSession } from "./registry-signin.js";
import { errorPanel, h, QtElement, statusLine } from "./widget-base.js";

const RETRY_CODES = new Set([1001, 1005, 1006, 1011, 1012, 1013]);

function backoff(attempt) {
  return Math.min(8000, 250 * 2 ** attempt);
}

// ==================================================================== presenter
class QtrShare extends QtElement {
  constructor() {
    super();
    this.session = null;
    this.queue = []; // frames not yet acknowledged, in order
    this.history = []; // every frame sent in this session, in order (the e2e test reads it)
    this.sent = 0;
    this.acked = 0;
    this.ended = false;
  }

  firstConnected() {
    this.classList.add("qt-widget", "qtr-share");
    this.titleInput = h("input", {
      type: "text",
      value: this.getAttribute("title") || "Live circuit",
      "aria-label": "Session title",
    });
    this.startBtn = h("button", {
      type: "button",
      class: "md-button md-button--primary qt-btn",
      text: "Share live",
      onclick: () => this.start(),
    });
    this.endBtn = h("button", {
      type: "button",
      class: "md-button qt-btn",
      text: "End session",
      disabled: true,
      onclick: () => this.end(),
    });
    this.auto = h("input", { type: "checkbox", checked: true, "aria-label": "Stream every run" });
    this.sendBtn = h("button", {
      type: "button",
      class: "qt-btn-small",
      text: "Send current frames",
      disabled: true,
      onclick: () => this.sendRun(),
    });
    this.status = statusLine("Not sharing.", { tag: "p", live: true });
    this.link = h("p", { class: "qtr-watch-link", hidden: true });
    this.error = errorPanel();
    this.append(
      authLine(),
      h(
        "div",
        { class: "qt-toolbar" },
        h("label", {}, "Title ", this.titleInput),
        this.startBtn,
        this.endBtn,
      ),
      h(
        "div",
        { class: "qt-toolbar" },
        h("label", {}, this.auto, " stream every run of the circuit"),
        this.sendBtn,
      ),
      this.status,
      this.link,
      this.error,
    );
    const circuit = this.circuit();
    if (circuit) {
      circuit.addEventListener("qt-result", () => {
        if (this.session && !this.ended && this.auto.checked) this.sendRun();
      });
    }
    this._resolveReady();
  }

  circuit() {
    const id = this.getAttribute("for");
    return id ? document.getElementById(id) : this.closest("article")?.querySelector("qt-circuit");
  }

  report() {
    if (!this.session) return;
    const state = this.ended
      ? "ended"
      : this.socket && this.socket.readyState === WebSocket.OPEN
        ? "live"
        : "reconnecting…";
    this.status.textContent = `Session “${this.session.title}” ${state}: ${this.sent} frame(s) sent, ${this.acked} acknowledged.`;
  }

  async start() {
    this.fail(null);
    this.startBtn.disabled = true;
    try {
      if (!(await registryAvailable())) throw new RegistryError(unavailableMessage());
      await ensureSession("researcher", "Presenting a live session needs a researcher account.");
      const body = { title: this.titleInput.value.trim() || "Live circuit" };
      const c = this.circuit();
      if (c?.getAttribute("scenario")) body.scenarioName = c.getAttribute("scenario");
      this.session = await request("sessions", { method: "POST", body });
      this.ended = false;
      this.queue = [];
      this.history = [];
      this.sent = 0;
      this.acked = 0;
      const url = watchLink(this.session.id);
      this.link.hidden = false;
      this.link.replaceChildren(
        "Viewers watch at ",
        h("a", { href: url, target: "_blank", class: "qtr-watch-href", text: url }),
      );
      this.endBtn.disabled = false;
      this.sendBtn.disabled = false;
      this.titleInput.disabled = true;
      await this.connect();
      if (c?.frameBuffer) this.sendRun();
    } catch (err) {
      this.startBtn.disabled = false;
      if (err.code !== "CANCELLED") this.fail(err);
    }
  }

  connect(attempt = 0) {
    const s = currentSession();
    if (!s)
      return Promise.reject(
        new RegistryError("signed out: sign in again to keep presenting", { status: 401 }),
      );
    const ws = new WebSocket(wsUrl(this.session.presentPath, { token: s.token }));
    ws.binaryType = "arraybuffer";
    this.socket = ws;
    return new Promise((resolve, reject) => {
      ws.onopen = () => {
        this.report();
        for (const f of this.queue) ws.send(f); // resend what was never acknowledged
        resolve();
      };
      ws.onmessage = (e) => {
        if (typeof e.data !== "string") return;
        const msg = JSON.parse(e.data);
        if (msg.type === "ack") {
          this.queue.shift();
          this.acked += 1;
        } else if (msg.type === "error") {
          this.queue.shift();
          this.fail(new RegistryError(`frame rejected: ${msg.message}`));
        }
        this.report();
      };
      ws.onclose = (e) => {
        if (this.socket !== ws) return;
        if (this.ended || e.code === 1000) {
          this.ended = true;
          this.finish();
          return;
        }
        if (RETRY_CODES.has(e.code) && attempt < 8) {
          this.report();
          // settle this attempt's promise with the retry's: start() waits on the first one
          setTimeout(() => {
            const retry = this.connect(attempt + 1);
            retry.then(resolve, reject);
            retry.catch((err) => this.fail(err));
          }, backoff(attempt));
          return;
        }
        const err = new RegistryError(
          `the registry closed the presenter connection (${e.code}${e.reason ? `: ${e.reason}` : ""})`,
        );
        this.fail(err);
        this.finish();
        reject(err);
      };
    });
  }

  /** Stream the circuit's current frames, one message per frame, in order. */
  sendRun() {
    const c = this.circuit();
    if (!c?.frameBuffer || !this.session || this.ended) return;
    // one message per frame: slice the circuit's stream at its already-decoded frame sizes
    let at = 0;
    for (const { size } of c.frames) {
      const f = c.frameBuffer.slice(at, at + size);
      at += size;
      this.queue.push(f);
      this.history.push(f);
      this.sent += 1;
      if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(f);
    }
    this.report();
  }

  end() {
    if (!this.session || this.ended) return;
    this.ended = true;
    this.endBtn.disabled = true;
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ type: "end" }));
    } else {
      request(`sessions/${this.session.id}`, { method: "DELETE" })
        .catch((err) => this.fail(err))
        .finally(() => this.finish());
    }
    this.report();
  }

  finish() {
    this.endBtn.disabled = true;
    this.sendBtn.disabled = true;
    this.startBtn.disabled = false;
    this.titleInput.disabled = false;
    this.report();
    this.dispatchEvent(new CustomEvent("qt-session-ended", { detail: this.session }));
  }
}

// ==================================================================== viewer
class QtrWatch extends QtElement {
  constructor() {
    super();
    this.seqs = [];
    this.lastId = null;
    this.expectSeq = 0;
    this.lost = 0;
    this.ended = false;
    this.reconnects = 0;
    this.pending = null;
  }

  /** The frames received so far (the player holds them). */
  get frames() {
    return this.player ? this.player.frames : [];
  }

  firstConnected() {
    this.classList.add("qt-widget", "qtr-watch");
    this.heading = h("h2", { class: "qtr-session-title", text: "Live session" });
    this.status = statusLine(null, { tag: "p", live: true, className: "qtr-watch-status" });
    this.error = errorPanel();
    this.player = h("qtr-frame-player", {});
    const idInput = h("input", {
      type: "text",
      name: "session",
      "aria-label": "Session id",
      placeholder: "session id",
    });
    this.picker = h(
      "form",
      { class: "qt-toolbar", hidden: true },
      h("label", {}, "Session ", idInput),
      h("button", { type: "submit", class: "md-button qt-btn", text: "Watch" }),
    );
    this.picker.addEventListener("submit", (e) => {
      e.preventDefault();
      if (idInput.value.trim())
        location.search = `?session=${encodeURIComponent(idInput.value.trim())}`;
    });
    this.append(authLine(), this.heading, this.picker, this.status, this.error, this.player);
    this.start()
      .catch((err) => this.fail(err))
      .finally(() => this._resolveReady());
  }

  async start() {
    this.sessionId = new URLSearchParams(location.search).get("session");
    if (!this.sessionId) {
      this.picker.hidden = false;
      this.status.textContent = "Open a presenter's watch link, or paste a session id.";
      return;
    }
    if (!(await registryAvailable())) {
      this.status.textContent = "Registry unavailable";
      throw new RegistryError(unavailableMessage());
    }
    this.status.textContent = "Sign in to watch.";
    // Not awaited: the page is ready while the sign-in dialog waits for the reader.
    this.signInAndWatch();
  }

  async signInAndWatch() {
    try {
      await ensureSession("viewer", "Watching a live session needs an account (viewer or above).");
      this.info = await request(`sessions/${encodeURIComponent(this.sessionId)}`);
      this.heading.textContent = `${this.info.title} · presented by ${this.info.owner}`;
      this.connect();
    } catch (err) {
      if (err.code === "CANCELLED") {
        this.status.replaceChildren(
          "Not signed in. ",
          h("button", {
            type: "button",
            class: "qt-btn-small",
            text: "Sign in",
            onclick: () => this.signInAndWatch(),
          }),
        );
      } else {
        this.fail(err);
      }
    }
  }

  connect(attempt = 0) {
    const s = currentSession();
    if (!s) {
      this.status.textContent = "Signed out.";
      return;
    }
    const ws = new WebSocket(wsUrl(this.info.watchPath, { token: s.token, last_id: this.lastId }));
    ws.binaryType = "arraybuffer";
    this.socket = ws;
    this.pending = null;
    ws.onopen = () => {
      attempt = 0;
      this.report("live");
    };
    ws.onmessage = (e) => {
      if (typeof e.data === "string") {
        const msg = JSON.parse(e.data);
        if (msg.type === "frame") this.pending = msg;
        else if (msg.type === "end") this.endSession();
        return;
      }
      const meta = this.pending;
      this.pending = null;
      if (!meta) return;
      let frame;
      try {
        frame = decodeFrame(e.data);
      } catch (err) {
        this.fail(err);
        return;
      }
      if (meta.seq > this.expectSeq) this.lost += meta.seq - this.expectSeq;
      this.expectSeq = meta.seq + 1;
      this.lastId = meta.id;
      this.seqs.push(meta.seq);
      this.player.appendFrame(frame);
      this.report("live");
    };
    ws.onclose = (e) => {
      if (this.socket !== ws) return;
      this.socket = null;
      if (this.ended) return;
      if (e.code === 1000) {
        this.endSession();
        return;
      }
      if ((RETRY_CODES.has(e.code) || this._dropping) && attempt < 10) {
        const delay = this._dropping ? this._dropDelay : backoff(attempt);
        this._dropping = false;
        this.reconnects += 1;
        this.report(`reconnecting (attempt ${attempt + 1})…`);
        setTimeout(() => this.connect(attempt + 1), delay);
        return;
      }
      const why = {
        4401: "your sign-in expired; reload and sign in again",
        4403: "your account may not watch sessions",
        4404: "no such session",
      }[e.code];
      this.fail(
        new RegistryError(`connection closed (${e.code}): ${why || e.reason || "unexpected"}`),
      );
      this.report("disconnected");
    };
  }

  /** Drop the connection as a network failure would (tests and the reader's "Reconnect"). */
  dropConnection(delayMs = 0) {
    if (!this.socket) return;
    this._dropping = true;
    this._dropDelay = delayMs;
    this.socket.close(4000, "dropped by the viewer");
  }

  endSession() {
    this.ended = true;
    if (this.socket) this.socket.close(1000);
    this.report("ended");
    const note = h("p", {
      class: "qtr-ended admonition note",
      text: `Session ended after ${this.frames.length} frame(s).`,
    });
    this.status.after(note);
    this.dispatchEvent(new CustomEvent("qt-session-ended", { detail: this.info }));
  }

  report(state) {
    const lost = this.lost
      ? ` · ${this.lost} frame(s) were trimmed from the stream before they reached you`
      : "";
    const label = state === "ended" ? "Session ended" : state === "live" ? "Live" : state;
    this.status.textContent = `${label} · ${this.frames.length} frame(s) received${this.reconnects ? ` · ${this.reconnects} reconnect(s)` : ""}${lost}`;
  }
}

customElements.define("qtr-share", QtrShare);
customElements.define("qtr-watch", QtrWatch);
