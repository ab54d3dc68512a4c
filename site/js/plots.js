// Drawing helpers: canvas bar charts (probabilities, amplitudes, counts), SVG Bloch spheres
// and SVG line plots with log axes. Colours come from Material's CSS variables, so the
// charts follow the light/dark palette.

const SVG = "http://www.w3.org/2000/svg";

export function palette(el) {
  const cs = getComputedStyle(el);
  const v = (name, fallback) => cs.getPropertyValue(name).trim() || fallback;
  return {
    fg: v("--md-default-fg-color", "#222"),
    fgLight: v("--md-default-fg-color--light", "#666"),
    fgLighter: v("--md-default-fg-color--lighter", "#bbb"),
    bg: v("--md-default-bg-color", "#fff"),
    primary: v("--qt-bar-color", v("--md-primary-fg-color", "#3f51b5")),
    accent: v("--md-accent-fg-color", "#ff5722"),
  };
}

function setupCanvas(canvas, height) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.parentElement.clientWidth || 300;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.height = `${height}px`;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, height);
  return { ctx, w, h: height };
}

export function bitstring(i, n) {
  return i.toString(2).padStart(n, "0");
}

/**
 * How to label bars `bw` px wide without overlap (`widths[i](px)`: label i's width at px): across when the widest label fits,
 * else rotated upright (10 or 9 px type), else every `step`-th bar. Returns the font size,
 * the orientation, the stride and the room the labels need under the bars.
 */
export function labelLayout(widths, bw) {
  const widest = (px) => Math.max(0, ...widths.map((w) => w(px)));
  if (widest(11) + 4 <= bw) return { px: 11, vertical: false, step: 1, room: 18 };
  for (const px of [10, 9]) {
    if (px + 2 <= bw) return { px, vertical: true, step: 1, room: widest(px) + 8 };
  }
  const step = Math.ceil(11 / Math.max(bw, 1e-9));
  return { px: 9, vertical: true, step, room: widest(9) + 8 };
}

/**
 * Bar chart of values (0..max) with bitstring labels. The labels never overlap: they turn
 * upright, then thin out, as bars narrow (see `labelLayout`); the boxes drawn are recorded
 * on `canvas.qtLabels` ({text, x, y, w, h} in CSS px) for tests and tooling.
 * @param {HTMLCanvasElement} canvas
 * @param {{values: ArrayLike<number>, labels?: string[], colors?: string[], max?: number,
 *   highlight?: number}} data
 */
export function drawBars(canvas, data, pal) {
  const vals = data.values;
  const n = vals.length;
  const left = 34;
  const top = 8;
  const plotH = 128;
  const probe = canvas.getContext("2d");
  const cssW = canvas.clientWidth || canvas.parentElement.clientWidth || 300;
  const bw0 = (cssW - left) / Math.max(1, n);
  const labels = data.labels && data.labels.length === n ? data.labels : null;
  const widthAt = (text) => (px) => {
    probe.font = `${px}px monospace`;
    return probe.measureText(text).width;
  };
  // Labels are drawn in a monospace font: the longest is the widest, so only it is measured
  // (measuring each of 50 000 outcome labels at three sizes took most of a second).
  const longest = labels ? labels.reduce((a, b) => (b.length > a.length ? b : a), "") : "";
  const lay = labels ? labelLayout([widthAt(longest)], bw0) : { room: 18 };
  const { ctx, w, h } = setupCanvas(canvas, Math.ceil(plotH + lay.room));
  const bottom = h - lay.room;
  const max = data.max || Math.max(1e-12, ...Array.from(vals));
  ctx.strokeStyle = pal.fgLighter;
  ctx.fillStyle = pal.fgLight;
  ctx.font = "11px sans-serif";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const f of [0, 0.5, 1]) {
    const y = bottom - f * (bottom - top);
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(w, y);
    ctx.stroke();
    ctx.fillText(data.max === 1 ? f.toFixed(1) : String(Math.round(f * max)), left - 4, y);
  }
  const bw = (w - left) / Math.max(1, n);
  for (let i = 0; i < n; i++) {
    const v = vals[i];
    if (!(v > 0)) continue;
    const bh = (v / max) * (bottom - top);
    ctx.fillStyle = data.colors ? data.colors[i] : pal.primary;
    ctx.fillRect(
      left + i * bw + (bw > 4 ? 1 : 0),
      bottom - bh,
      Math.max(1, bw - (bw > 4 ? 2 : 0)),
      bh,
    );
  }
  const boxes = [];
  if (labels) {
    ctx.fillStyle = pal.fg;
    ctx.font = `${lay.px}px monospace`;
    for (let i = 0; i < n; i += lay.step) {
      const cx = left + (i + 0.5) * bw;
      const tw = ctx.measureText(labels[i]).width;
      if (lay.vertical) {
        ctx.save();
        ctx.translate(cx, bottom + 4);
        ctx.rotate(-Math.PI / 2);
        ctx.textAlign = "right";
        ctx.textBaseline = "middle";
        ctx.fillText(labels[i], 0, 0);
        ctx.restore();
        boxes.push({ text: labels[i], x: cx - lay.px / 2, y: bottom + 4, w: lay.px, h: tw });
      } else {
        ctx.textAlign = "center";
        ctx.textBaseline = "top";
        ctx.fillText(labels[i], cx, bottom + 4);
        boxes.push({ text: labels[i], x: cx - tw / 2, y: bottom + 4, w: tw, h: lay.px });
      }
    }
  } else {
    ctx.fillStyle = pal.fgLight;
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.fillText(`${n} outcomes (index 0 … ${n - 1})`, left, bottom + 4);
  }
  canvas.qtLabels = boxes;
}

/** Hue for a phase in (-π, π]. */
export function phaseColor(phase) {
  const hue = ((phase / (2 * Math.PI)) * 360 + 360) % 360;
  return `hsl(${hue.toFixed(0)}, 70%, 50%)`;
}

/** Amplitudes as bars of |a| coloured by arg a. */
export function drawAmplitudes(canvas, amps, n, pal) {
  const m = amps.length / 2;
  const mags = new Float64Array(m);
  const colors = new Array(m);
  for (let i = 0; i < m; i++) {
    const re = amps[2 * i];
    const im = amps[2 * i + 1];
    mags[i] = Math.hypot(re, im);
    colors[i] = phaseColor(Math.atan2(im, re));
  }
  const labels = m <= 32 ? Array.from({ length: m }, (_, i) => bitstring(i, n)) : null;
  drawBars(canvas, { values: mags, labels, colors, max: 1 }, pal);
}

function el(name, attrs = {}, parent = null) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.append(e);
  return e;
}

/** Oblique projection of a Bloch vector to the SVG plane. */
function project(x, y, z, r, c) {
  return [c + r * (0.95 * y - 0.45 * x), c - r * (0.95 * z - 0.25 * x)];
}

/** A Bloch sphere SVG for one qubit; returns {svg, update(x, y, z)}. */
export function blochSphere(label) {
  const size = 110;
  const c = size / 2;
  const r = 40;
  const svg = el("svg", {
    viewBox: `0 0 ${size} ${size + 14}`,
    width: size,
    height: size + 14,
    role: "img",
    class: "qt-bloch",
  });
  const title = el("title", {}, svg);
  el("circle", { cx: c, cy: c, r, class: "qt-bloch__sphere" }, svg);
  el("ellipse", { cx: c, cy: c, rx: r, ry: r * 0.3, class: "qt-bloch__equator" }, svg);
  const axes = [
    [1, 0, 0, "x"],
    [0, 1, 0, "y"],
    [0, 0, 1, "|0⟩"],
    [0, 0, -1, "|1⟩"],
  ];
  for (const [x, y, z, name] of axes) {
    const [px, py] = project(x, y, z, r, c);
    el("line", { x1: c, y1: c, x2: px, y2: py, class: "qt-bloch__axis" }, svg);
    const t = el(
      "text",
      {
        x: px + (name === "x" ? -6 : 3),
        y: py + (z < 0 ? 10 : z > 0 ? -2 : 4),
        class: "qt-bloch__label",
      },
      svg,
    );
    t.textContent = name;
  }
  const vec = el("line", { x1: c, y1: c, x2: c, y2: c - r, class: "qt-bloch__vector" }, svg);
  const dot = el("circle", { cx: c, cy: c - r, r: 3.5, class: "qt-bloch__dot" }, svg);
  const cap = el(
    "text",
    { x: c, y: size + 10, "text-anchor": "middle", class: "qt-bloch__caption" },
    svg,
  );
  cap.textContent = label;
  return {
    svg,
    update(x, y, z) {
      const [px, py] = project(x, y, z, r, c);
      vec.setAttribute("x2", px.toFixed(2));
      vec.setAttribute("y2", py.toFixed(2));
      dot.setAttribute("cx", px.toFixed(2));
      dot.setAttribute("cy", py.toFixed(2));
      const len = Math.hypot(x, y, z);
      title.textContent = `${label}: Bloch vector (${x.toFixed(3)}, ${y.toFixed(3)}, ${z.toFixed(3)}), length ${len.toFixed(3)}`;
    },
  };
}

function niceTicks(lo, hi, log) {
  if (log) {
    const out = [];
    const a = Math.floor(Math.log10(lo));
    const b = Math.ceil(Math.log10(hi));
    const step = Math.max(1, Math.ceil((b - a) / 6));
    const mults = b - a <= 3 ? [1, 2, 5] : [1];
    for (let e = a; e <= b; e += step) for (const m of mults) out.push(m * 10 ** e);
    return out;
  }
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= 6) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
  return out;
}

export function fmtNum(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1).replace("e+", "e").replace(".0e", "e");
  return String(Number(v.toPrecision(4)));
}

/**
 * The axis ranges of a line plot: every finite point of every series (and of its error band)
 * and the marker, when both its coordinates are plottable. A value a log axis cannot show
 * (≤ 0) or that is not finite is left out, so one bad point (a marker whose x is undefined)
 * cannot turn every coordinate into NaN. Returns null when nothing is plottable.
 */
export function plotExtent(series, options = {}) {
  const okX = (v) => Number.isFinite(v) && (!options.logx || v > 0);
  const okY = (v) => Number.isFinite(v) && (!options.logy || v > 0);
  const xs = series.flatMap((s) => s.x).filter(okX);
  const ys = series.flatMap((s) => [...s.y, ...(s.low || []), ...(s.high || [])]).filter(okY);
  const mk = options.marker;
  if (mk && okX(mk[0]) && okY(mk[1])) {
    xs.push(mk[0]);
    ys.push(mk[1]);
  }
  if (!xs.length || !ys.length) return null;
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (options.ymin != null) y0 = Math.min(y0, options.ymin);
  if (options.ymax != null) y1 = Math.max(y1, options.ymax);
  if (x0 === x1) {
    x0 -= 1;
    x1 += 1;
  }
  if (y0 === y1) {
    const d = Math.abs(y0) * 0.1 || 1;
    y0 -= d;
    y1 += d;
  }
  return { x0, x1, y0, y1 };
}

/**
 * Line/points plot in SVG. series: [{x, y, low?, high?, points?: bool, label}]
 * options: {xlabel, ylabel, logx, logy, marker: [x, y], title}
 */
export function linePlot(svg, series, options = {}) {
  const W = 480;
  const H = 260;
  const m = { l: 62, r: 14, t: 14, b: 42 };
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  svg.replaceChildren();
  const title = el("title", {}, svg);
  title.textContent = options.title || `${options.ylabel || "y"} vs ${options.xlabel || "x"}`;
  const extent = plotExtent(series, options);
  if (!extent) return;
  const { x0, x1, y0, y1 } = extent;
  const tx = options.logx ? (v) => Math.log10(v) : (v) => v;
  const ty = options.logy ? (v) => Math.log10(v) : (v) => v;
  const X = (v) => m.l + ((tx(v) - tx(x0)) / (tx(x1) - tx(x0))) * (W - m.l - m.r);
  const Y = (v) => H - m.b - ((ty(v) - ty(y0)) / (ty(y1) - ty(y0))) * (H - m.t - m.b);
  const g = el("g", { class: "qt-plot__axes" }, svg);
  for (const v of niceTicks(x0, x1, options.logx)) {
    if (v < x0 * (1 - 1e-9) || v > x1 * (1 + 1e-9)) continue;
    el("line", { x1: X(v), x2: X(v), y1: m.t, y2: H - m.b, class: "qt-plot__grid" }, g);
    const t = el("text", { x: X(v), y: H - m.b + 14, "text-anchor": "middle" }, g);
    t.textContent = fmtNum(v);
  }
  for (const v of niceTicks(y0, y1, options.logy)) {
    if (v < y0 - 1e-12 * Math.abs(y0) || v > y1 + 1e-12 * Math.abs(y1)) continue;
    el("line", { x1: m.l, x2: W - m.r, y1: Y(v), y2: Y(v), class: "qt-plot__grid" }, g);
    const t = el("text", { x: m.l - 5, y: Y(v) + 4, "text-anchor": "end" }, g);
    t.textContent = fmtNum(v);
  }
  el(
    "rect",
    { x: m.l, y: m.t, width: W - m.l - m.r, height: H - m.t - m.b, class: "qt-plot__frame" },
    g,
  );
  const xl = el(
    "text",
    { x: (m.l + W - m.r) / 2, y: H - 6, "text-anchor": "middle", class: "qt-plot__label" },
    g,
  );
  xl.textContent = options.xlabel || "";
  const yl = el(
    "text",
    {
      x: 12,
      y: (m.t + H - m.b) / 2,
      "text-anchor": "middle",
      class: "qt-plot__label",
      transform: `rotate(-90 12 ${(m.t + H - m.b) / 2})`,
    },
    g,
  );
  yl.textContent = options.ylabel || "";
  series.forEach((s, k) => {
    const cls = `qt-plot__series qt-plot__series--${k}`;
    const pts = s.x
      .map((x, i) => [x, s.y[i]])
      .filter(
        ([x, y]) =>
          Number.isFinite(x) &&
          Number.isFinite(y) &&
          (!options.logx || x > 0) &&
          (!options.logy || y > 0),
      );
    if (s.low && s.high) {
      s.x.forEach((x, i) => {
        el(
          "line",
          {
            x1: X(x),
            x2: X(x),
            y1: Y(Math.max(s.low[i], y0)),
            y2: Y(Math.min(s.high[i], y1)),
            class: `${cls} qt-plot__err`,
          },
          svg,
        );
      });
    }
    if (s.points) {
      for (const [x, y] of pts)
        el("circle", { cx: X(x), cy: Y(y), r: 3, class: `${cls} qt-plot__pt` }, svg);
    } else if (pts.length) {
      el(
        "path",
        {
          d: pts
            .map(([x, y], i) => `${i ? "L" : "M"}${X(x).toFixed(1)},${Y(y).toFixed(1)}`)
            .join(""),
          class: `${cls} qt-plot__line`,
        },
        svg,
      );
    }
  });
  if (options.marker && Number.isFinite(options.marker[0]) && Number.isFinite(options.marker[1])) {
    const [mx, my] = options.marker;
    if ((!options.logx || mx > 0) && (!options.logy || my > 0)) {
      el("circle", { cx: X(mx), cy: Y(my), r: 5, class: "qt-plot__marker" }, svg);
    }
  }
}
