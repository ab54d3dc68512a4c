// <qt-relativity calc="sr|schwarzschild|gps|clock|hafele_keating|kepler|perihelion|deflection|
// shapiro|gpa|gpb">: relativity calculators with unit-string inputs
// ("0.9c", "7.66 km/s", "20200 km", "1 day"), live results from qtcore and an SVG plot.

import { linePlot } from "./plots.js";
import { renderError } from "./runtime.js";
import { readState, writeState } from "./urlstate.js";
import {
  bindRuntime,
  errorPanel,
  h,
  QtElement,
  statusLine,
  svgPlot,
  whenRuntimeReady,
} from "./widget-base.js";

const BODIES = [
  ["earth", "Earth"],
  ["sun", "Sun"],
  ["moon", "Moon"],
  ["jupiter", "Jupiter"],
  ["sirius_b", "Sirius B"],
  ["neutron_star", "Neutron star"],
  ["custom", "Custom mass and radius"],
];

const C = 299792458; // m/s, exact

/** A radius in metres as the unit string the boxes accept, in km. */
function km(metres) {
  return `${Number((metres / 1000).toPrecision(10))} km`;
}

/** A field's value as the calculator reads it: a number where it wants one, else the text. */
function numberOrText(text) {
  const t = text.trim();
  return t !== "" && Number.isFinite(Number(t)) ? Number(t) : text;
}

/** The Schwarzschild widget's body: a preset name or the custom {name, mass, radius} table. */
function bodyField(v) {
  return v.body === "custom" ? { name: "custom", mass: v.mass, radius: v.radius } : v.body;
}

/**
 * A classic-test calculator widget: the boxes are the calculator's fields (sent as typed),
 * the plot sweeps one of them, and the rows put the value next to the published one.
 */
function classicCalc(def) {
  return {
    title: def.title,
    fields: def.fields,
    async compute(ask, v) {
      const fields = {};
      for (const f of def.fields) fields[f.key] = f.number ? numberOrText(v[f.key]) : v[f.key];
      const res = await ask(def.calculator, fields);
      const { [def.plot.param]: _swept, ...rest } = fields;
      const curve = await ask(def.calculator, rest, {
        param: def.plot.param,
        x: def.plot.param,
        y: "value",
        start: def.plot.start,
        stop: def.plot.stop,
        num: 60,
        log: Boolean(def.plot.log),
      });
      return {
        outputs: res.outputs,
        plot: {
          ...curve.plot,
          marker: [res.outputs[def.plot.param], res.outputs.value],
          xlabel: def.plot.xlabel,
          ylabel: res.outputs.quantity,
          logx: Boolean(def.plot.log),
          logy: false,
        },
      };
    },
    rows: (r) => {
      const p = r.published[def.published];
      const pub = p.uncertainty == null ? `${p.value}` : `${p.value} ± ${p.uncertainty}`;
      return [
        [`computed (${r.quantity})`, `${r.value.toPrecision(8)}${def.unit}`],
        [`published: ${p.kind}`, pub],
        ["reference", p.reference],
        ...(def.extra ? def.extra(r) : []),
      ];
    },
  };
}

/**
 * Each widget runs qtcore's scenario calculators (qtcore.scenario.CALCULATORS) on the boxes as
 * typed: `compute(ask, v)` asks the worker (`ask(calculator, fields, plot?)`) and returns
 * `{outputs, plot: {x, y, marker, xlabel, ylabel, logx, logy}}`. An empty box is sent as
 * empty text, and qtcore says what is missing; only boxes marked `optional` are left out.
 */
const CALCS = {
  sr: {
    title: "Special relativity",
    fields: [
      { key: "speed", label: "Speed", value: "0.9c", hint: "e.g. 0.9c, 7.66 km/s, 1000 km/h" },
      {
        key: "duration",
        label: "Coordinate time",
        value: "1 day",
        hint: "e.g. 1 day, 3600 s, 1 yr",
      },
    ],
    async compute(ask, v) {
      const plot = { param: "speed", x: "beta", y: "gamma", start: 1e-6 * C, stop: 0.999999 * C };
      const [k, d] = await Promise.all([
        ask("gamma", { speed: v.speed }, { ...plot, log: true }),
        ask("dilation", { speed: v.speed, coordinate_duration: v.duration }),
      ]);
      const outputs = { ...k.outputs, ...d.outputs };
      return {
        outputs,
        plot: {
          ...k.plot,
          marker: [outputs.beta, outputs.gamma],
          xlabel: "v / c",
          ylabel: "γ",
          logx: true,
          logy: true,
        },
      };
    },
    rows: (r) => [
      ["β = v/c", r.beta.toPrecision(10)],
      ["Lorentz factor γ", r.gamma.toPrecision(15)],
      ["γ − 1", r.gamma_minus_one.toExponential(9)],
      ["rapidity φ = artanh β", r.rapidity.toPrecision(10)],
      ["coordinate time t", `${r.coordinate_duration.toPrecision(12)} s`],
      ["proper time τ = t/γ", `${r.proper_duration.toPrecision(12)} s`],
      ["moving clock lags by t − τ", `${r.time_lag.toExponential(9)} s`],
      [
        "Doppler f_r/f_s (approaching / receding)",
        `${r.doppler_approaching.toPrecision(8)} / ${r.doppler_receding.toPrecision(8)}`,
      ],
    ],
  },
  schwarzschild: {
    title: "Schwarzschild field (static clock)",
    fields: [
      { key: "body", label: "Body", type: "select", options: BODIES, value: "earth" },
      {
        key: "radius_at",
        label: "Clock radius r",
        value: "6371.0088 km",
        hint: "distance from the centre, at or above the body's surface, e.g. 7000 km, 1 AU",
      },
      {
        key: "mass",
        label: "Mass (custom body)",
        value: "5.972e24 kg",
        when: (v) => v.body === "custom",
      },
      {
        key: "radius",
        label: "Body radius (custom body)",
        value: "6371 km",
        when: (v) => v.body === "custom",
      },
    ],
    async compute(ask, v) {
      const body = bodyField(v);
      const [field, clock] = await Promise.all([
        ask("schwarzschild", { body }),
        ask("static_clock", { body, radius: v.radius_at }),
      ]);
      // qtcore refuses a radius inside the body (below its polar radius), naming it
      const rs = field.outputs.schwarzschild_radius;
      const r = clock.outputs.radius;
      const big = field.outputs.radius;
      const plot = {
        param: "radius",
        x: "radius",
        y: "deficit",
        start: big,
        stop: Math.max(r, big) * 100,
        num: 80,
        log: true,
      };
      const curve = await ask("static_clock", { body }, plot);
      const outputs = { ...clock.outputs, schwarzschild_radius: rs };
      return {
        outputs,
        plot: {
          ...curve.plot,
          // The rate is 1 − deficit with a deficit of 1e-9 to 1e-4: on a linear axis every
          // tick of the rate reads "1", so the plot shows the deficit on a log axis.
          marker: [r, outputs.deficit],
          xlabel: "r / m",
          ylabel: "1 − dτ/dt",
          logx: true,
          logy: true,
        },
      };
    },
    /** A new body resets r to its surface, not a radius inside it left from the last body. */
    async onInput(key, widget, ask) {
      if (key !== "body" && key !== "radius") return;
      const v = widget.values();
      if (key === "radius" && v.body !== "custom") return;
      const field = await ask("schwarzschild", { body: bodyField(v) });
      widget.inputs.radius_at.value = km(field.outputs.radius);
    },
    rows: (r) => [
      ["body", r.body],
      ["Schwarzschild radius r_s = 2GM/c²", `${r.schwarzschild_radius.toPrecision(9)} m`],
      ["clock rate dτ/dt = √(1 − r_s/r)", r.rate.toPrecision(15)],
      ["1 − dτ/dt", r.deficit.toExponential(9)],
      ["weak-field GM/(rc²)", r.weak_field_deficit.toExponential(9)],
      ["seconds lost per day vs. infinity", `${r.seconds_lost_per_day.toExponential(6)} s`],
    ],
  },
  gps: {
    title: "GPS satellite clock vs. ground clock",
    fields: [
      {
        key: "altitude",
        label: "Orbit altitude",
        value: "20200 km",
        optional: true,
        hint: "above Earth's mean radius; leave empty to give the orbit radius",
      },
      {
        key: "orbit_radius",
        label: "Orbit radius",
        value: "26561.75 km",
        hint: "used when altitude is empty",
        when: (v) => !v.altitude.trim(),
      },
      {
        key: "latitude",
        label: "Ground clock latitude (°)",
        value: "",
        optional: true,
        hint: "empty: non-rotating Earth",
      },
    ],
    async compute(ask, v) {
      const fields = {};
      if (v.altitude.trim()) fields.altitude = v.altitude;
      else fields.orbit_radius = v.orbit_radius;
      if (v.latitude.trim()) fields.latitude_deg = numberOrText(v.latitude);
      const g = await ask("gps", fields);
      const { altitude: _a, orbit_radius: _r, ...ground } = fields;
      const earth = g.outputs.ground_radius;
      const plot = { param: "orbit_radius", x: "orbit_radius", y: "net_us_per_day" };
      const curve = await ask("gps", ground, { ...plot, start: earth * 1.02, stop: earth * 12 });
      return {
        outputs: g.outputs,
        plot: {
          ...curve.plot,
          marker: [g.outputs.orbit_radius, g.outputs.net_us_per_day],
          xlabel: "orbit radius / m",
          ylabel: "net μs/day",
          logx: true,
          logy: false,
        },
      };
    },
    rows: (r) => [
      ["orbit radius", `${(r.orbit_radius / 1000).toFixed(3)} km`],
      ["orbital speed √(GM/r)", `${r.orbital_speed.toFixed(3)} m/s`],
      ["special relativity (motion)", `${r.sr_us_per_day.toFixed(4)} μs/day`],
      ["general relativity (gravity)", `${r.gr_us_per_day.toFixed(4)} μs/day`],
      ["net (satellite − ground)", `${r.net_us_per_day.toFixed(4)} μs/day`],
      [
        "first-order estimate SR + GR",
        `${(r.weak_field_sr_us_per_day + r.weak_field_gr_us_per_day).toFixed(4)} μs/day`,
      ],
    ],
  },
  clock: {
    title: "A clock moving in a field",
    fields: [
      { key: "body", label: "Body", type: "select", options: BODIES.slice(0, 6), value: "earth" },
      {
        key: "height",
        label: "Height",
        value: "10 km",
        hint: "above the mean radius (with a latitude: above the ellipsoid)",
      },
      {
        key: "speed",
        label: "Speed",
        value: "250 m/s",
        hint: "through the body's non-rotating frame; with a latitude: eastward ground speed",
      },
      {
        key: "latitude",
        label: "Latitude (°)",
        value: "",
        optional: true,
        hint: "empty: anywhere at that height; a number: over the rotating body's surface",
      },
    ],
    async compute(ask, v) {
      const onGround = v.latitude.trim() !== "";
      const fields = { body: v.body, height: v.height };
      if (onGround) {
        fields.latitude_deg = numberOrText(v.latitude);
        fields.ground_speed_east = v.speed;
      } else fields.speed = v.speed;
      const [clock, far] = await Promise.all([
        ask("clock", fields),
        ask("redshift", { body: v.body, emitter_height: v.height, receiver_at_infinity: true }),
      ]);
      const { speed: _s, ground_speed_east: _g, ...still } = fields;
      const vmax = Math.max(2 * clock.outputs.speed, 1000);
      const curve = await ask("clock", still, {
        param: onGround ? "ground_speed_east" : "speed",
        x: "speed",
        y: "seconds_lost_per_day",
        start: onGround ? -vmax : 0,
        stop: vmax,
        num: 60,
      });
      const outputs = { ...clock.outputs, redshift_to_infinity: far.outputs };
      return {
        outputs,
        plot: {
          ...curve.plot,
          marker: [outputs.speed, outputs.seconds_lost_per_day],
          xlabel: "speed through the non-rotating frame / (m/s)",
          ylabel: "s lost per day",
          logx: false,
          logy: false,
        },
      };
    },
    rows: (r) => [
      ["body", r.body],
      ["radius r", `${r.radius.toPrecision(10)} m`],
      ["speed v (non-rotating frame)", `${r.speed.toPrecision(8)} m/s`],
      ["rate dτ/dt = √(1 − r_s/r − v²/c²)", r.rate.toPrecision(16)],
      ["1 − dτ/dt", r.deficit.toExponential(9)],
      ["first order GM/(rc²) + v²/(2c²)", r.weak_field_deficit.toExponential(9)],
      ["seconds lost per day vs. infinity", `${r.seconds_lost_per_day.toExponential(6)} s`],
      ["redshift z of its light seen far away", r.redshift_to_infinity.z.toExponential(9)],
      [
        "weak-field redshift error (relative)",
        r.redshift_to_infinity.weak_field_relative_error.toExponential(3),
      ],
    ],
  },
  hafele_keating: {
    title: "Hafele–Keating 1971: clocks flown around the world",
    fields: [
      {
        key: "direction",
        label: "Trip",
        type: "select",
        options: [
          ["both", "eastward and westward"],
          ["east", "eastward"],
          ["west", "westward"],
        ],
        value: "both",
      },
    ],
    async compute(ask, v) {
      const hk = await ask("hafele_keating", { direction: v.direction });
      const dirs = ["east", "west"].filter((d) => hk.outputs[d]);
      return {
        outputs: hk.outputs,
        plot: {
          series: dirs.map((d) => ({ x: hk.outputs[d].curve_hours, y: hk.outputs[d].curve_ns })),
          legend: dirs.map((d, i) => `${i ? "dashed" : "solid"}: ${d}ward`).join(", "),
          xlabel: "hours since departure",
          ylabel: "flying − ground clock / ns",
          logx: false,
          logy: false,
        },
      };
    },
    rows: (r) =>
      ["east", "west"]
        .filter((d) => r[d])
        .flatMap((d) => {
          const o = r[d];
          const p = o.published;
          const pm = (q) => `${q.value} ± ${q.uncertainty} ns`;
          return [
            [
              `${d}: gravitational, computed / published`,
              `${o.gravitational_ns.toFixed(1)} ns / ${pm(p.predicted_gravitational_ns)}`,
            ],
            [
              `${d}: kinematic, computed / published`,
              `${o.kinematic_ns.toFixed(1)} ns / ${pm(p.predicted_kinematic_ns)}`,
            ],
            [
              `${d}: net, computed / predicted`,
              `${o.net_ns.toFixed(1)} ns / ${pm(p.predicted_net_ns)}`,
            ],
            [`${d}: measured in 1971`, pm(p.measured_net_ns)],
          ];
        }),
  },
  kepler: {
    title: "A clock on an elliptic orbit",
    fields: [
      { key: "a", label: "Semi-major axis", value: "26561.75 km", hint: "26561.75 km is GPS" },
      { key: "e", label: "Eccentricity", value: "0.01", hint: "0 ≤ e < 1" },
    ],
    async compute(ask, v) {
      const k = await ask("kepler_orbit", {
        semi_major_axis: v.a,
        eccentricity: numberOrText(v.e),
      });
      const o = k.outputs;
      return {
        outputs: o,
        plot: {
          series: [
            { x: o.mean_anomaly_deg, y: o.periodic_ns },
            { x: o.mean_anomaly_deg, y: o.weak_field_periodic_ns },
          ],
          legend: "solid: exact proper time; dashed: first order −2√(GMa) e sin E / c²",
          xlabel: "mean anomaly / degrees",
          ylabel: "τ − mean-rate τ / ns",
          logx: false,
          logy: false,
        },
      };
    },
    rows: (r) => [
      ["period", `${(r.period / 3600).toPrecision(8)} h`],
      [
        "perigee / apogee radius",
        `${(r.perigee_radius / 1e3).toFixed(1)} / ${(r.apogee_radius / 1e3).toFixed(1)} km`,
      ],
      ["mean rate deficit", r.mean_deficit.toExponential(9)],
      ["eccentricity effect amplitude", `${r.eccentricity_amplitude_ns.toPrecision(8)} ns`],
      [
        "first order 2√(GMa) e / c²",
        `${(r.eccentricity_amplitude_weak_field * 1e9).toPrecision(8)} ns`,
      ],
      ["peak to peak", `${r.eccentricity_peak_to_peak_ns.toPrecision(8)} ns`],
    ],
  },
  perihelion: classicCalc({
    title: "Perihelion advance (Mercury by default)",
    calculator: "perihelion",
    fields: [
      { key: "semi_major_axis", label: "Semi-major axis", value: "0.38709893 AU" },
      { key: "eccentricity", label: "Eccentricity", value: "0.20563069", number: true },
      { key: "period", label: "Period", value: "87.9691 d" },
    ],
    plot: { param: "eccentricity", start: 0, stop: 0.95, xlabel: "eccentricity" },
    unit: "″ per century",
    published: "mercury_prediction",
  }),
  deflection: classicCalc({
    title: "Light deflection by the Sun",
    calculator: "light_deflection",
    fields: [
      {
        key: "impact_parameter",
        label: "Impact parameter b",
        value: "695700 km",
        hint: "the solar radius is 695 700 km",
      },
    ],
    plot: { param: "impact_parameter", start: 6.957e8, stop: 6.957e10, log: true, xlabel: "b / m" },
    unit: "″",
    published: "solar_limb_prediction",
  }),
  shapiro: classicCalc({
    title: "Shapiro delay at solar conjunction (Cassini-like)",
    calculator: "shapiro_delay",
    fields: [
      { key: "emitter_distance", label: "Spacecraft distance from the Sun", value: "8.43 AU" },
      { key: "receiver_distance", label: "Earth's distance from the Sun", value: "1 AU" },
      {
        key: "impact_parameter",
        label: "Closest approach b",
        value: "1113120 km",
        hint: "1.6 solar radii",
      },
    ],
    plot: { param: "impact_parameter", start: 6.957e8, stop: 6.957e10, log: true, xlabel: "b / m" },
    unit: " μs",
    published: "cassini_gamma_minus_one",
  }),
  gpa: classicCalc({
    title: "Gravity Probe A: a maser on a rocket",
    calculator: "gravity_probe_a",
    fields: [{ key: "apex_altitude", label: "Apex altitude", value: "10000 km" }],
    plot: { param: "apex_altitude", start: 1e5, stop: 4e7, xlabel: "apex altitude / m" },
    unit: "",
    published: "vessot_1980_alpha",
  }),
  gpb: classicCalc({
    title: "Gravity Probe B: geodetic precession and frame dragging",
    calculator: "gravity_probe_b",
    fields: [
      { key: "semi_major_axis", label: "Orbit semi-major axis", value: "7027.4 km" },
      { key: "eccentricity", label: "Eccentricity", value: "0.0014", number: true },
      {
        key: "guide_star_declination_deg",
        label: "Guide star declination (°)",
        value: "16.84",
        number: true,
      },
    ],
    plot: { param: "semi_major_axis", start: 6.7e6, stop: 4.2e7, log: true, xlabel: "a / m" },
    unit: " mas/yr",
    published: "geodetic_prediction",
    extra: (r) => [
      ["frame dragging, computed", `${r.frame_dragging_mas_per_year.toPrecision(5)} mas/yr`],
      [
        "frame dragging, GR prediction / measured",
        `${r.published.frame_dragging_prediction.value} / ${r.published.frame_dragging_measured.value} ± ${r.published.frame_dragging_measured.uncertainty} mas/yr`,
      ],
      [
        "geodetic, measured",
        `${r.published.geodetic_measured.value} ± ${r.published.geodetic_measured.uncertainty} mas/yr`,
      ],
    ],
  }),
};

class QtRelativity extends QtElement {
  constructor() {
    super();
    this.gen = 0;
  }

  firstConnected() {
    this.classList.add("qt-widget", "qt-relativity");
    bindRuntime(this);
    this.calc = this.getAttribute("calc") || "sr";
    const def = CALCS[this.calc];
    if (!def) {
      this.textContent = `unknown calculator ${this.calc}; use ${Object.keys(CALCS).join(", ")}`;
      this._resolveReady();
      return;
    }
    const saved = readState(this.wid) || {};
    this.inputs = {};
    const form = h("form", {
      class: "qt-form",
      onsubmit: (e) => {
        e.preventDefault();
        this.compute();
      },
    });
    for (const f of def.fields) {
      const id = `${this.wid}-${f.key}`;
      const initial = saved[f.key] ?? this.getAttribute(f.key) ?? f.value;
      let input;
      if (f.type === "select") {
        input = h("select", { id, name: f.key });
        for (const [v, label] of f.options) input.append(h("option", { value: v, text: label }));
        input.value = initial;
      } else {
        input = h("input", {
          id,
          name: f.key,
          type: "text",
          value: initial,
          autocomplete: "off",
          "aria-describedby": f.hint ? `${id}-hint` : null,
        });
      }
      input.addEventListener("input", () => {
        this.applyWhen();
        this.computeSoon();
      });
      input.addEventListener("change", () => this.inputChanged(f.key));
      this.inputs[f.key] = input;
      form.append(
        h(
          "div",
          { class: "qt-field" },
          h("label", { for: id, text: f.label }),
          input,
          f.hint ? h("small", { id: `${id}-hint`, text: f.hint }) : null,
        ),
      );
    }
    this.status = statusLine("Loading the Python runtime…");
    this.table = h("table", { class: "qt-results" });
    this.plot = svgPlot();
    this.error = errorPanel();
    this.legend = h("figcaption", { class: "qt-legend" });
    this.out = h(
      "div",
      { class: "qt-rel-out" },
      this.table,
      h("figure", {}, this.plot, this.legend),
    );
    this.append(
      h("p", { class: "qt-head" }, h("strong", { text: def.title }), " · ", this.status),
      form,
      this.error,
      this.out,
    );
    this.applyWhen();
    whenRuntimeReady(this, () => this.compute());
  }

  /**
   * A box that the current input does not use (`when` false: a custom body's mass while a
   * preset body is chosen, the orbit radius while an altitude is given) is disabled, so what
   * is typed there cannot look accepted while it is ignored.
   */
  applyWhen() {
    const v = this.values();
    for (const f of CALCS[this.calc].fields) {
      if (f.when) this.inputs[f.key].disabled = !f.when(v);
    }
  }

  /** A box changed: let the calculator adjust dependent boxes (`onInput`), then recompute. */
  async inputChanged(key) {
    const hook = CALCS[this.calc].onInput;
    if (hook) {
      try {
        await hook(key, this, this.ask);
      } catch (_) {
        /* the recomputation below reports the bad input */
      }
    }
    this.computeSoon();
  }

  ask = (calculator, fields, plot) =>
    this.rt.request("relativity", plot ? { calculator, fields, plot } : { calculator, fields });

  computeSoon() {
    clearTimeout(this._t);
    this._t = setTimeout(() => this.compute(), 250);
  }

  values() {
    return Object.fromEntries(Object.entries(this.inputs).map(([k, el]) => [k, el.value]));
  }

  async compute() {
    const gen = ++this.gen;
    const inputs = this.values();
    try {
      const { outputs, plot: p } = await CALCS[this.calc].compute(this.ask, inputs);
      if (gen !== this.gen) return;
      this.result = outputs;
      renderError(this.error, null);
      this.out.hidden = false;
      const rows = CALCS[this.calc].rows(outputs);
      this.table.replaceChildren(
        h(
          "tbody",
          {},
          ...rows.map(([k, v]) =>
            h("tr", {}, h("th", { scope: "row", text: k }), h("td", { text: v })),
          ),
        ),
      );
      linePlot(this.plot, p.series || [{ x: p.x, y: p.y }], {
        xlabel: p.xlabel,
        ylabel: p.ylabel,
        logx: p.logx,
        logy: p.logy,
        marker: p.marker,
        title: p.marker
          ? `${p.ylabel} against ${p.xlabel}; the dot marks your input`
          : `${p.ylabel} against ${p.xlabel}${p.legend ? `: ${p.legend}` : ""}`,
      });
      this.legend.textContent = p.legend || "";
      writeState(this.wid, inputs);
      this.dispatchEvent(new CustomEvent("qt-result", { detail: outputs }));
    } catch (err) {
      if (gen !== this.gen) return;
      this.result = null;
      // No stale numbers under a new error: the table and plot belong to the last good input.
      this.table.replaceChildren();
      this.plot.replaceChildren();
      this.out.hidden = true;
      renderError(this.error, err, "Input");
    }
  }
}

customElements.define("qt-relativity", QtRelativity);
