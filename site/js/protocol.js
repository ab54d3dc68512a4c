// The page <-> worker protocol, as JSDoc types (site/PROTOCOL.md says the same in prose).
//
// Every key is camelCase, except inside the objects marked "document" or "outputs": those
// travel exactly as qtcore's file formats name them (a scenario file, its [circuit] gate
// list, its [noise] and [relativity] tables; the outputs its `expected` paths address).
// Frames travel as bytes (FRAMES.md). The Python side is site/worker/bridge.py; every
// result object is the `to_wire()` of a qtcore type.

/** Request types the worker serves (besides `init` and `cancel`). */
export const REQUEST_TYPES = Object.freeze([
  "load",
  "qasm",
  "relativity",
  "run",
  "scenario",
  "sweep",
]);

/** Stable error codes (`QtError.code`). */
export const ERROR_CODES = Object.freeze([
  "QT-QASM",
  "QT-GATE",
  "QT-CIRCUIT",
  "QT-SIM",
  "QT-NOISE",
  "QT-FRAME",
  "QT-DOMAIN",
  "QT-UNIT",
  "QT-SCENARIO",
  "QT-REQUEST",
  "QT-ERROR",
  "QT-PYTHON",
  "QT-WORKER",
  "QT-LOAD",
  "QT-CANCELLED",
]);

// ------------------------------------------------------------------ documents (file format)

/**
 * A circuit document: qtcore's gate list (`Circuit.to_dict()`, a scenario's [circuit] table).
 * @typedef {{num_qubits: number, num_clbits?: number, ops: CircuitOp[]}} CircuitDocument
 */

/**
 * @typedef {object} CircuitOp
 * @property {string} op gate name, "measure", "reset" or "barrier"
 * @property {number[]} qubits
 * @property {(number|string)[]} [params] numbers or expressions such as "pi/2"
 * @property {number[]} [clbits] for measure
 * @property {{clbits: number[], value: number}} [if] classical condition
 */

/**
 * A noise table (`NoiseModel.to_dict()`, a scenario's [noise] table).
 * @typedef {object} NoiseDocument
 * @property {NoiseChannel[]} [channels]
 * @property {{p01: number, p10: number, qubits?: number[]}[]} [readout]
 */

/**
 * @typedef {object} NoiseChannel
 * @property {"depolarizing"|"depolarizing2"|"bit_flip"|"phase_flip"|"amplitude_damping"|"phase_damping"} type
 * @property {number} [p] probability (depolarizing, bit_flip, phase_flip)
 * @property {number} [gamma] amplitude damping
 * @property {number} [lam] phase damping
 * @property {string[]} [gates] after which gates (all when absent)
 * @property {number[]} [qubits] on which qubits (all when absent)
 */

/** A scenario document: a scenario file as a JSON object (scenarios/README.md). @typedef {Record<string, unknown>} ScenarioDocument */

// ------------------------------------------------------------------ requests

/**
 * @typedef {object} RunRequest
 * @property {"run"} type
 * @property {CircuitDocument} [circuit] the circuit (or `qasm`)
 * @property {string} [qasm] OpenQASM 2 or 3 text (or `circuit`)
 * @property {number|string} [shots] samples, >= 0 (default 1024)
 * @property {number|string} [seed] >= 0 (default 0)
 * @property {NoiseDocument|null} [noise]
 * @property {boolean} [frames] also return every step's frame (one request: counts + frames)
 * @property {string} [name] the scenario's name (default "circuit")
 * @property {"auto"|"wasm"|"numpy"|"python"} [backend] kernel; qtcore picks for "auto"
 */

/**
 * @typedef {{type: "qasm", op: "loads", text: string, blocks?: boolean} | {type: "qasm", op: "dumps", circuit: CircuitDocument}} QasmRequest
 */

/**
 * @typedef {object} RelativityRequest
 * @property {"relativity"} type
 * @property {string} calculator a name of qtcore.scenario.CALCULATORS ("gamma", "dilation", "static_clock", "gps", ...)
 * @property {Record<string, unknown>} fields document: the calculator's fields as typed ("0.9c", "1 day")
 * @property {PlotSpec} [plot]
 */

/**
 * One output against one field, over a linear or logarithmic range (SI values).
 * @typedef {object} PlotSpec
 * @property {string} param the swept field ("speed", "radius", ...)
 * @property {string} x column to return as x (the field, or an output such as "beta")
 * @property {string} y output to return as y ("gamma", "rate", ...)
 * @property {number} start
 * @property {number} stop
 * @property {number} [num] points, 2..500 (default 60)
 * @property {boolean} [log] geometric spacing
 */

/**
 * The sweep widget's request; the values are sent as typed and qtcore validates them.
 * @typedef {object} SweepRequest
 * @property {"sweep"} type
 * @property {CircuitDocument} [circuit]
 * @property {string} [qasm]
 * @property {string} param the circuit's free parameter
 * @property {number|string} start
 * @property {number|string} stop
 * @property {number|string} points 1..1000
 * @property {number|string} shots >= 1
 * @property {number|string} seed
 * @property {string} [target] the outcome bit string (default all zeros)
 * @property {"auto"|"numpy"|"python"} [backend]
 */

/**
 * @typedef {object} ScenarioRequest
 * @property {"scenario"} type
 * @property {"load"|"run"} op
 * @property {string} name file stem (used in error messages)
 * @property {string} text the file's text
 * @property {"toml"|"json"} format
 * @property {"auto"|"numpy"|"python"} [backend]
 */

/** @typedef {{type: "cancel", target: number}} CancelRequest */
/** @typedef {{type: "init", config: {kernel: "auto"|"python"}}} InitMessage */

/**
 * What `runtime.request(type, payload)` posts: `{id, type, ...payload}`.
 * @typedef {({id: number} & (RunRequest|QasmRequest|RelativityRequest|SweepRequest|ScenarioRequest|CancelRequest|{type: "load"}))} Request
 */

// ------------------------------------------------------------------ results (camelCase)

/**
 * `Result.to_wire()`.
 * @typedef {object} RunResult
 * @property {number} numQubits
 * @property {number} numClbits
 * @property {number} shots
 * @property {number} seed
 * @property {string} kernel "wasm" | "numpy" | "python"
 * @property {"statevector"|"sampled"|"branching"|"trajectories"} method
 * @property {Record<string, number>} counts bit string (bit 0 rightmost) -> count
 * @property {number[]} clbits classical bits after the last shot, bit 0 first
 * @property {number[]} [probabilities] final state, up to 12 qubits
 */

/**
 * `Scenario.to_wire()`.
 * @typedef {object} ScenarioSummary
 * @property {string} name
 * @property {string} title
 * @property {"circuit"|"relativity"|"sandbox"|"sweep"} kind
 * @property {string} pointKind what each run executes (a sweep's `sweep.of`)
 * @property {string} description
 * @property {number} seed
 * @property {number} shots
 * @property {string} contentHash "sha256:..."
 * @property {ScenarioDocument} document what the registry stores; qtcore's loader re-runs it
 */

/**
 * `Estimate.to_wire()`.
 * @typedef {{value: number, low: number, high: number, n: number, confidence: number, method: string, stdError: number, width: number}} Estimate
 */

/**
 * `ScenarioResult.to_wire()`.
 * @typedef {object} ScenarioRunResult
 * @property {string} scenario name
 * @property {string} title
 * @property {string} kind
 * @property {"completed"|"cancelled"} status
 * @property {Record<string, unknown>} outputs outputs, named as the file's `expected` paths (a sweep: `outputs.table`, a SweepTable)
 * @property {{index: number, check: string, target: string, passed: boolean, detail: string}[]} checks
 * @property {boolean} passed
 * @property {{qtcoreVersion: string, kernel: string|null, backend: string, seed: number, shots: number, interpreter: string, scenarioHash: string, schema: number, method?: string}} provenance
 */

/**
 * `SweepResult.to_wire()`; column names are values (parameter and output paths).
 * @typedef {{axes: {name: string, values: number[], spacing: string}[], combine: string, seed: number, total: number, done: number, status: string, columns: string[], rows: unknown[][]}} SweepTable
 */

/**
 * `GateSpec.to_wire()`.
 * @typedef {{name: string, numParams: number, params: string[], numControls: number, numTargets: number, summary: string, variadic: boolean, structure: string, qasm2: string|null, qasm3: string|null}} GateInfo
 */

// ------------------------------------------------------------------ replies

/**
 * `load` (and the `ready` event's `info`).
 * @typedef {object} LoadReply
 * @property {string} qtcore version
 * @property {string} python
 * @property {string} platform
 * @property {string} kernel what "auto" picks: "wasm" | "numpy" | "python"
 * @property {Record<string, string|null>} kernels each kernel: null if it runs here, else why not
 * @property {number} maxQubits widest circuit the kernel's memory allows (checked before a run)
 * @property {string} maxQubitsReason that limit as a sentence for the user
 * @property {boolean} numpy
 * @property {GateInfo[]} gates
 * @property {string[]} calculators
 * @property {string} [pyodide] added by the worker
 * @property {string} [wheel]
 * @property {boolean} [numpyVendored]
 * @property {string|null} [packageBaseUrl]
 * @property {number} [runtimeMs]
 * @property {number} [loadMs]
 * @property {{origin: number, marks: [string, number][]}} [timings]
 */

/**
 * `run`; with `frames: true` the reply also has `buffer` (transferred) and `frames`.
 * @typedef {object} RunReply
 * @property {RunResult} result
 * @property {string} qasm the circuit as OpenQASM (2 when it can say it, else 3)
 * @property {ScenarioSummary} scenario the run as a scenario (what Publish sends)
 * @property {{count: number, bytes: number}} [frames]
 * @property {ArrayBuffer} [buffer] the frame stream (FRAMES.md)
 */

/** @typedef {{circuit: CircuitDocument, text: string} | {text: string}} QasmReply */

/**
 * @typedef {object} RelativityReply
 * @property {string} calculator
 * @property {Record<string, unknown>} outputs outputs, as `python -m qtcore rel ... --json` names them
 * @property {{x: number[], y: number[], param: string}} [plot]
 */

/**
 * @typedef {object} SweepPoint
 * @property {number} value the parameter's value
 * @property {number} k shots that gave the target outcome
 * @property {Estimate} estimate P(target) with its 95 % Wilson interval
 */

/**
 * `sweep`; one `progress` event per point carries that SweepPoint as `info`.
 * @typedef {object} SweepReply
 * @property {string} param
 * @property {string} target
 * @property {number} shots
 * @property {SweepPoint[]} points
 * @property {ScenarioRunResult} result the sweep scenario's result (outputs.table)
 * @property {ScenarioSummary} scenario the sweep as a scenario
 */

/**
 * `scenario`; `result` only for `op: "run"`; `circuit`/`qasm` for circuit scenarios.
 * @typedef {object} ScenarioReply
 * @property {ScenarioSummary} scenario
 * @property {CircuitDocument} [circuit]
 * @property {string} [qasm]
 * @property {ScenarioRunResult} [result]
 */

/**
 * @typedef {object} WireError
 * @property {string} code one of ERROR_CODES
 * @property {string} type the Python (or JS) exception class
 * @property {string} message
 * @property {string} traceback
 * @property {number} [line] QT-QASM: 1-based line
 * @property {number|null} [column] QT-QASM: 1-based column
 */

/**
 * @typedef {({id: number, ok: true, result: (LoadReply|RunReply|QasmReply|RelativityReply|SweepReply|ScenarioReply|{queued: boolean}), buffer?: ArrayBuffer} | {id: number, ok: false, error: WireError})} Reply
 */

// ------------------------------------------------------------------ events (no id)

/**
 * @typedef {(
 *   {type: "progress", ref: null, stage: string, done: number, total: number, label: string} |
 *   {type: "progress", ref: number, done: number, total: number, info: (SweepPoint|Record<string, number>|null)} |
 *   {type: "ready", info: LoadReply} |
 *   {type: "fatal", error: WireError} |
 *   {type: "log", level: "info"|"warn", text: string}
 * )} WorkerEvent
 */
