// <qtr-runs>: the registry's published runs. A list with filters (scenario, owner, tag,
// anomalous) and pagination, anomaly scores shown; `?run=<id>` opens one run's detail view,
// which replays its stored frames (GET /api/v1/runs/{id}/frames) in <qtr-frame-player>.
// Reading needs a viewer account; the page asks for sign-in.

import { decodeFrames } from "./frames.js";
import "./frame-player.js";
import {
  currentSession,
  registryAvailable,
  request,
  runLink,
  unavailableMessage,
} from "./registry.js";
import { authLine, ensureSession } from "./registry-signin.js";
import { errorPanel, h, QtElement, statusLine } from "./widget-base.js";

const PAGE = 20;

function fmtDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

function fmtScore(run) {
  if (run.anomalyScore == null) return "—";
  const s = run.anomalyScore >= 1e5 ? "≫ 3.5" : run.anomalyScore.toFixed(2);
  return run.anomalous ? `${s} ⚠` : s;
}

class QtrRuns extends QtElement {
  constructor() {
    super();
    this.offset = 0;
  }

  firstConnected() {
    this.classList.add("qt-widget", "qtr-runs");
    this.status = statusLine(null, { tag: "p", live: true });
    this.error = errorPanel();
    this.body = h("div", { class: "qtr-runs-body" });
    this.append(authLine(), this.status, this.error, this.body);
    document.addEventListener("qt-registry-auth", () => {
      if (currentSession()) this.route();
    });
    window.addEventListener("popstate", () => this.route());
    this.start().finally(() => this._resolveReady());
  }

  async start() {
    if (!(await registryAvailable())) {
      this.status.textContent = "Registry unavailable";
      this.fail(new Error(unavailableMessage()));
      return;
    }
    await this.route();
  }

  async route() {
    this.error.hidden = true;
    const params = new URLSearchParams(location.search);
    try {
      if (!currentSession()) {
        this.body.replaceChildren(
          h(
            "p",
            {},
            "Reading the registry needs an account. ",
            h("button", {
              type: "button",
              class: "md-button qt-btn",
              text: "Sign in",
              onclick: () => this.signIn(),
            }),
          ),
        );
        this.status.textContent = "Not signed in";
        this.signIn();
        return;
      }
      if (params.get("run")) await this.showRun(params.get("run"));
      else await this.showList(params);
    } catch (err) {
      this.fail(err);
    }
  }

  signIn() {
    ensureSession("viewer", "Sign in to list the published runs.").catch((err) => {
      if (err.code !== "CANCELLED") this.fail(err);
    });
  }

  /** Show the view for the query `q` (a URLSearchParams) and put it in the history. */
  navigate(q) {
    history.pushState(null, "", `${location.pathname}${q.size ? `?${q}` : ""}`);
    this.route();
  }

  // ------------------------------------------------------------------ list
  async showList(params) {
    const f = {
      scenarioName: params.get("scenario") || "",
      owner: params.get("owner") || "",
      tag: params.get("tag") || "",
      anomalous: params.get("anomalous") || "",
    };
    this.offset = Math.max(0, Number(params.get("offset")) || 0);
    const input = (name, label, value) =>
      h("label", {}, `${label} `, h("input", { name, value, type: "text", "aria-label": label }));
    const anomalous = h(
      "select",
      { name: "anomalous", "aria-label": "Anomalous" },
      h("option", { value: "", text: "any" }),
      h("option", { value: "true", text: "anomalous only" }),
      h("option", { value: "false", text: "not anomalous" }),
    );
    anomalous.value = f.anomalous;
    const form = h(
      "form",
      { class: "qt-toolbar qtr-filters", role: "search" },
      input("scenario", "Scenario", f.scenarioName),
      input("owner", "Owner", f.owner),
      input("tag", "Tag", f.tag),
      h("label", {}, "Anomalous ", anomalous),
      h("button", { type: "submit", class: "md-button qt-btn", text: "Filter" }),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const q = new URLSearchParams();
      for (const [k, v] of new FormData(form)) if (String(v).trim()) q.set(k, String(v).trim());
      this.navigate(q);
    });
    const api = new URLSearchParams({
      limit: String(PAGE),
      offset: String(this.offset),
      sort: "-createdAt",
    });
    for (const [k, v] of Object.entries(f)) if (v) api.set(k, v);
    this.status.textContent = "Loading runs…";
    const page = await request(`runs?${api}`);
    const rows = page.items.map((r) =>
      h(
        "tr",
        { class: r.anomalous ? "qtr-anomalous" : null, "data-run": r.id },
        h(
          "td",
          {},
          h("a", {
            href: runLink(r.id),
            text: r.id.slice(0, 8),
            title: r.id,
            onclick: (e) => this.open(e, r.id),
          }),
        ),
        h("td", { text: r.scenarioName }),
        h("td", { text: r.owner }),
        h("td", { text: String(r.seed) }),
        h("td", { text: r.kernel }),
        h("td", { text: r.tags.join(", ") }),
        h("td", { class: "qtr-num", text: r.runtimeMs.toFixed(1) }),
        h("td", {
          class: "qtr-num qtr-score",
          text: fmtScore(r),
          title:
            r.anomalyScore == null
              ? "fewer than 5 earlier runs of this scenario"
              : `robust z-score ${r.anomalyScore}`,
        }),
        h("td", { text: fmtDate(r.createdAt) }),
      ),
    );
    const head = [
      "Run",
      "Scenario",
      "Owner",
      "Seed",
      "Kernel",
      "Tags",
      "Runtime (ms)",
      "Anomaly score",
      "Published",
    ];
    const table = h(
      "table",
      { class: "qtr-table" },
      h("thead", {}, h("tr", {}, ...head.map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, ...rows),
    );
    const last = Math.min(page.total, this.offset + page.items.length);
    const nav = (label, offset, disabled) =>
      h("button", {
        type: "button",
        class: "qt-btn-small",
        text: label,
        disabled,
        onclick: () => {
          const q = new URLSearchParams(location.search);
          if (offset) q.set("offset", String(offset));
          else q.delete("offset");
          this.navigate(q);
        },
      });
    const pager = h(
      "div",
      { class: "qt-toolbar qtr-pager" },
      nav("← Newer", Math.max(0, this.offset - PAGE), this.offset === 0),
      h("span", {
        text: page.total ? `${this.offset + 1}–${last} of ${page.total}` : "no runs match",
      }),
      nav("Older →", this.offset + PAGE, last >= page.total),
    );
    this.body.replaceChildren(form, h("div", { class: "qtr-table-wrap" }, table), pager);
    this.status.textContent = `${page.total} run(s)`;
  }

  open(e, id) {
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    this.navigate(new URLSearchParams({ run: id }));
  }

  // ------------------------------------------------------------------ detail
  async showRun(id) {
    this.status.textContent = "Loading the run…";
    const run = await request(`runs/${encodeURIComponent(id)}`);
    const back = h("a", {
      href: location.pathname,
      text: "← all runs",
      onclick: (e) => {
        e.preventDefault();
        this.navigate(new URLSearchParams());
      },
    });
    const dl = h("dl", { class: "qtr-meta" });
    const add = (k, v) => dl.append(h("dt", { text: k }), h("dd", {}, v));
    add("Run", run.id);
    add("Scenario", run.scenarioName);
    add("Owner", run.owner);
    add("Seed", String(run.seed));
    add("qtcore / kernel", `${run.qtcoreVersion} · ${run.kernel}`);
    add("Tags", run.tags.join(", ") || "—");
    add("Runtime", `${run.runtimeMs.toFixed(1)} ms`);
    add("Content hash", h("code", { text: run.contentHash }));
    add("Anomaly score", `${fmtScore(run)}${run.anomalous ? " (anomalous: |z| ≥ 3.5)" : ""}`);
    add("Published", fmtDate(run.createdAt));
    const counts = run.results?.counts;
    const countsLine = counts
      ? h(
          "p",
          { class: "qtr-counts" },
          h("strong", { text: "Counts: " }),
          Object.entries(counts)
            .sort()
            .map(([k, v]) => `${k}: ${v}`)
            .join(", "),
        )
      : null;
    const detail = run.anomalyDetail
      ? h(
          "details",
          {},
          h("summary", { text: "Anomaly detail" }),
          h("pre", { class: "qt-json", text: JSON.stringify(run.anomalyDetail, null, 2) }),
        )
      : null;
    const json = h(
      "details",
      {},
      h("summary", { text: "Scenario and results (JSON)" }),
      h("pre", {
        class: "qt-json",
        text: JSON.stringify({ scenario: run.scenario, results: run.results }, null, 2),
      }),
    );
    this.player = h("qtr-frame-player", {});
    const framesHead = h("h3", { text: "Frames" });
    this.body.replaceChildren(
      back,
      h("h2", { text: `Run of ${run.scenarioName}` }),
      dl,
      countsLine || "",
      detail || "",
      json,
      framesHead,
      this.player,
    );
    if (run.framesBytes > 0) {
      const buf = await request(`runs/${encodeURIComponent(id)}/frames`, { binary: true });
      this.player.setFrames(decodeFrames(buf));
      this.status.textContent = `${this.player.frames.length} frame(s) stored`;
    } else {
      this.player.setFrames([]);
      this.status.textContent = "This run was published without frames.";
    }
  }
}

customElements.define("qtr-runs", QtrRuns);
