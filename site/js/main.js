// Entry point (extra_javascript, type=module): registers the custom elements, starts the
// page's one qtcore worker when a widget appears, and marks <html class="qt-ready"> once
// every widget on the page has finished its first render (tests wait on it). Re-runs on
// Material's instant navigation (document$).

import "./qt-circuit.js";
import "./qt-relativity.js";
import "./qt-sweep.js";
import "./scenarios.js";

const TAGS =
  "qt-circuit, qt-relativity, qt-sweep, qt-scenario-loader, qt-scenario-runner, " +
  "qtr-runs, qtr-share, qtr-watch";
let generation = 0;

async function bind() {
  const gen = ++generation;
  const root = document.documentElement;
  root.classList.remove("qt-ready");
  // Registry pages (docs/registry/) only: other pages do not load these modules.
  if (document.querySelector("qtr-runs")) await import("./runs.js");
  if (document.querySelector("qtr-share, qtr-watch")) await import("./live.js");
  const widgets = [...document.querySelectorAll(TAGS)];
  await Promise.all(widgets.map((w) => customElements.whenDefined(w.localName)));
  await Promise.allSettled(widgets.map((w) => w.whenReady));
  if (gen === generation) root.classList.add("qt-ready");
}

if (window.document$ && typeof window.document$.subscribe === "function") {
  window.document$.subscribe(() => bind());
} else {
  bind();
}
