// Import a circuit from Quirk's URL format: `#circuit={"cols":[["H"],["•","X"],...]}`.
// Each column lists one entry per wire (wire 0 = qubit 0, top row in Quirk); 1 = empty.
// Gates qtcore has are mapped; anything else is named in the error, nothing is imported.

const SINGLE = {
  H: "h",
  X: "x",
  Y: "y",
  Z: "z",
  "X^½": "sx",
  "X^-½": "sxdg",
  "Z^½": "s",
  "Z^-½": "sdg",
  "Z^¼": "t",
  "Z^-¼": "tdg",
};
const CONTROLLED = {
  x: ["cx", "ccx", "mcx"],
  z: ["cz", "ccz", "mcz"],
  y: ["cy"],
  h: ["ch"],
  s: ["cs"],
  sdg: ["csdg"],
};
const DISPLAY = new Set([
  "Bloch",
  "Amps1",
  "Amps2",
  "Amps3",
  "Amps4",
  "Chance",
  "Chance2",
  "Chance3",
  "Density",
  "Density2",
  "…",
]);

export class QuirkError extends Error {}

/** Parse a Quirk URL, fragment or bare JSON into qtcore's gate-list dict. */
export function quirkToCircuit(text) {
  let raw = String(text).trim();
  const i = raw.indexOf("circuit=");
  if (i >= 0) raw = raw.slice(i + "circuit=".length);
  raw = raw.split("&")[0];
  try {
    raw = decodeURIComponent(raw);
  } catch (_) {
    /* already decoded */
  }
  let data;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    throw new QuirkError(`not a Quirk circuit: the JSON does not parse (${e.message})`);
  }
  if (!data || !Array.isArray(data.cols))
    throw new QuirkError('not a Quirk circuit: no "cols" list');
  const ops = [];
  const unknown = new Set();
  let n = 0;
  let nc = 0;
  for (const col of data.cols) {
    n = Math.max(n, col.length);
    const controls = [];
    const gates = [];
    col.forEach((entry, q) => {
      if (entry === 1 || entry === "1" || entry == null) return;
      const id = typeof entry === "string" ? entry : entry?.id;
      if (id === "•") controls.push(q);
      else if (id === "Measure") gates.push(["measure", q]);
      else if (id === "Swap") gates.push(["swap", q]);
      else if (SINGLE[id]) gates.push([SINGLE[id], q]);
      else if (DISPLAY.has(id)) {
        /* display-only gates change nothing */
      } else unknown.add(typeof entry === "string" ? entry : JSON.stringify(entry));
    });
    const swaps = gates.filter(([g]) => g === "swap").map(([, q]) => q);
    if (swaps.length && swaps.length !== 2)
      unknown.add(`Swap (${swaps.length} halves in one column)`);
    if (swaps.length === 2) {
      if (controls.length === 0) ops.push({ op: "swap", qubits: swaps });
      else if (controls.length === 1) ops.push({ op: "cswap", qubits: [controls[0], ...swaps] });
      else unknown.add(`Swap with ${controls.length} controls`);
    }
    for (const [g, q] of gates) {
      if (g === "swap") continue;
      if (g === "measure") {
        if (controls.length) unknown.add("controlled Measure");
        ops.push({ op: "measure", qubits: [q], clbits: [q] });
        nc = Math.max(nc, q + 1);
      } else if (controls.length === 0) {
        ops.push({ op: g, qubits: [q] });
      } else {
        const names = CONTROLLED[g];
        if (!names) {
          unknown.add(`controlled ${Object.keys(SINGLE).find((k) => SINGLE[k] === g)}`);
          continue;
        }
        const k = controls.length;
        const name = k === 1 ? names[0] : k === 2 && names[1] ? names[1] : names[2];
        if (!name) {
          unknown.add(`${g} with ${k} controls`);
          continue;
        }
        ops.push({ op: name, qubits: [...controls, q] });
      }
    }
    if (controls.length && gates.length === 0) unknown.add("• control with no gate in its column");
  }
  if (unknown.size) {
    throw new QuirkError(
      `Quirk gate(s) qtcore cannot map: ${[...unknown].join(", ")}. Nothing was imported.`,
    );
  }
  if (n === 0) throw new QuirkError("the Quirk circuit is empty");
  return { num_qubits: n, num_clbits: nc, ops };
}
