// What every QuantumTime custom element shares: the DOM builder `h`, the build-once
// lifecycle with a `whenReady` promise (main.js waits on it before `html.qt-ready`), the
// status line, the error panel, the SVG plot, and the binding to the page's qtcore worker.

import { getRuntime, kernelLabel, renderError } from "./runtime.js";
import { widgetId } from "./urlstate.js";

const SVG = "http://www.w3.org/2000/svg";

/** Create `tag` with attributes (`text`, `on<event>`, booleans) and children. */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

/**
 * A custom element that builds its DOM once, on first connection (`firstConnected`), and
 * exposes `whenReady`, resolved by the subclass (`this._resolveReady()`) after first render.
 */
export class QtElement extends HTMLElement {
  constructor() {
    super();
    this.whenReady = new Promise((r) => (this._resolveReady = r));
  }

  connectedCallback() {
    if (this._built) return;
    this._built = true;
    this.firstConnected();
  }

  firstConnected() {}

  /** Show `err` in the widget's error panel (`this.error`); widgets may override. */
  fail(err) {
    showMessage(this.error, err);
  }
}

/** The `role=status` line (`span.qt-status` in widgets, `p` on the registry pages). */
export function statusLine(text = null, { tag = "span", live = false, className = "" } = {}) {
  return h(tag, {
    class: className ? `qt-status ${className}` : "qt-status",
    role: "status",
    "aria-live": live ? "polite" : null,
    text,
  });
}

/** The hidden `role=alert` panel that renderError/showMessage fill. */
export function errorPanel(className = "") {
  return h("div", {
    class: className ? `qt-error ${className}` : "qt-error",
    role: "alert",
    hidden: true,
  });
}

/** Show `err`'s message as plain text in `panel` (hide it when `err` is null). */
export function showMessage(panel, err) {
  panel.hidden = !err;
  panel.textContent = err ? err.message || String(err) : "";
}

/** An empty `svg.qt-plot` for linePlot. */
export function svgPlot() {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "qt-plot");
  return svg;
}

/** Attach the page's one runtime (`widget.rt`) and the widget's URL-state id (`widget.wid`). */
export function bindRuntime(widget) {
  widget.rt = getRuntime();
  widget.wid = widgetId(widget);
}

/**
 * Once the worker is ready, show the kernel in `widget.status` and call `onReady(info)`; a
 * start-up failure goes to `widget.error`. Either way `whenReady` resolves afterwards.
 */
export function whenRuntimeReady(widget, onReady, context = "qtcore") {
  widget.rt.ready
    .then(
      (info) => {
        widget.status.textContent = kernelLabel(info);
        return onReady(info);
      },
      (err) => renderError(widget.error, err, context),
    )
    .finally(() => widget._resolveReady());
}

/** Render a failed request; a cancel (QT-CANCELLED) shows `cancelledMessage` instead. */
export function renderRunError(panel, err, context, cancelledMessage) {
  const cancelled = err && err.code === "QT-CANCELLED";
  renderError(panel, cancelled ? { message: cancelledMessage, type: "Cancelled" } : err, context);
}
