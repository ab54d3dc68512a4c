// "Publish" on a run: <qt-circuit>, <qt-scenario-runner> and <qt-sweep> get a Publish button that
// signs in (researcher), posts the run (POST /api/v1/runs: scenario, seed, qtcore version,
// kernel, results, tags, runtimeMs, base64 frames) and links the new run, or says clearly
// why not (registry unavailable, 401/403/413/400 with the field, 503).

import {
  RegistryError,
  registryAvailable,
  request,
  runLink,
  toBase64,
  unavailableMessage,
} from "./registry.js";
import { ensureSession } from "./registry-signin.js";
import { h } from "./widget-base.js";

/**
 * The body of POST /runs: the run as the scenario document qtcore built for it (which qtcore's
 * loader re-runs to the same result), its camelCase results and provenance.
 * @param {import("./protocol.js").ScenarioSummary} scenario
 * @param {object} results
 * @param {{seed: number, kernel: string|null, qtcoreVersion?: string}} prov
 * @param {HTMLElement & {rt: any, runtimeMs?: number}} widget
 * @param {ArrayBuffer|null} frames
 */
function runPayload(scenario, results, prov, widget, frames) {
  const info = widget.rt.info || {};
  return {
    scenario: scenario.document,
    scenarioName: scenario.name,
    seed: prov.seed,
    qtcoreVersion: prov.qtcoreVersion || info.qtcore || "unknown",
    kernel: prov.kernel || info.kernel || "python",
    results,
    runtimeMs: Math.max(0, Number(widget.runtimeMs) || 0),
    frames: frames ? toBase64(frames) : null,
  };
}

function noRun(what) {
  return new RegistryError(`Run the ${what} first: there is no result to publish yet.`, {
    code: "NO-RUN",
  });
}

/** The body of POST /runs for the last run of a <qt-circuit>. */
export function circuitRunPayload(widget) {
  const res = widget.lastResult;
  if (!res || !widget.lastScenario) throw noRun("circuit");
  return runPayload(widget.lastScenario, res, res, widget, widget.frameBuffer || null);
}

/** The body of POST /runs for the last run of a <qt-scenario-runner>. */
export function scenarioRunPayload(runner) {
  const s = runner.scenario;
  const res = runner.result;
  if (!s || !res) throw noRun("scenario");
  const { provenance, ...results } = res;
  return runPayload(s, results, provenance, runner, null);
}

/** The body of POST /runs for the last run of a <qt-sweep>. */
export function sweepRunPayload(widget) {
  const r = widget.result;
  if (!r) throw noRun("sweep");
  const { provenance, ...results } = r.result;
  return runPayload(r.scenario, { ...results, points: r.points }, provenance, widget, null);
}

/**
 * A Publish button plus its panel (options and outcome) for a widget.
 * @param {HTMLElement} widget
 * @param {(w: HTMLElement) => object} buildPayload
 * @returns {{button: HTMLButtonElement, panel: HTMLElement}}
 */
export function publishControl(widget, buildPayload) {
  const button = h("button", {
    type: "button",
    class: "md-button qt-btn qtr-publish-btn",
    text: "Publish",
    title: "Publish this run to the registry (sign-in required)",
  });
  const nameInput = h("input", {
    type: "text",
    class: "qtr-publish-name",
    "aria-label": "Scenario name to publish under",
  });
  const tagsInput = h("input", {
    type: "text",
    class: "qtr-publish-tags",
    value: widget.getAttribute("tags") || "site",
    "aria-label": "Tags (comma separated)",
  });
  const outcome = h("div", { class: "qtr-publish-outcome", role: "status", "aria-live": "polite" });
  nameInput.value = widget.getAttribute("scenario") || widget.id || "";
  const panel = h(
    "div",
    { class: "qtr-publish" },
    h(
      "details",
      { class: "qtr-publish-opts" },
      h("summary", { text: "Publish options (scenario name, tags)" }),
      h(
        "div",
        { class: "qt-row" },
        h("label", {}, "Scenario name ", nameInput),
        h("label", {}, "Tags ", tagsInput),
      ),
    ),
    outcome,
  );

  const show = (kind, ...content) => {
    outcome.className = `qtr-publish-outcome qtr-${kind}`;
    outcome.replaceChildren(...content);
  };

  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      show("info", "Contacting the registry…");
      if (!(await registryAvailable())) {
        button.textContent = "Registry unavailable";
        button.title = unavailableMessage();
        show("error", unavailableMessage());
        return;
      }
      const body = buildPayload(widget);
      if (nameInput.value.trim()) body.scenarioName = nameInput.value.trim();
      else nameInput.value = body.scenarioName;
      body.tags = tagsInput.value
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean);
      show("info", "Waiting for sign-in…");
      await ensureSession("researcher", "Publishing a run needs a researcher account.");
      show("info", "Publishing…");
      let run;
      try {
        run = await request("runs", { method: "POST", body });
      } catch (err) {
        if (err.status !== 401) throw err;
        await ensureSession("researcher", "Your session expired: sign in again to publish.");
        run = await request("runs", { method: "POST", body });
      }
      const score =
        run.anomalyScore == null
          ? "no anomaly score yet (fewer than 5 earlier runs)"
          : `anomaly score ${run.anomalyScore.toFixed(2)}${run.anomalous ? " — anomalous" : ""}`;
      show(
        "ok",
        "Published run ",
        h("a", { href: runLink(run.id), class: "qtr-run-link", text: run.id }),
        ` (${run.scenarioName}, seed ${run.seed}, ${run.kernel} kernel; ${score}).`,
      );
      widget.dispatchEvent(new CustomEvent("qt-published", { detail: run }));
    } catch (err) {
      if (err.code === "CANCELLED") show("info", "Not published: sign-in cancelled.");
      else show("error", err.message || String(err));
    } finally {
      button.disabled = false;
    }
  });
  return { button, panel };
}
