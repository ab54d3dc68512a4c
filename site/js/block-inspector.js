// The inspector of a control-flow block in the circuit editor: its condition, range or
// switch cases as fields, its bodies to open, delete. What a user types is checked by
// control-blocks.js; a rejected field shows its message beside it and nothing changes.

import {
  addCase,
  bitsText,
  blockText,
  bodyKeys,
  bodyLabel,
  exprText,
  FieldError,
  parseBits,
  parseCaseValues,
  parseCondition,
  parseRange,
  parseVarName,
  removeCase,
  simpleCondition,
} from "./control-blocks.js";
import { h } from "./widget-base.js";

let uid = 0;

/** A labelled input with an error slot beside it; `fields[name]` finds it again. */
function field(fields, name, label, input, note = null) {
  const err = h("span", {
    class: "qt-field-error",
    id: `qt-ferr-${++uid}`,
    role: "alert",
    hidden: true,
  });
  input.setAttribute("aria-describedby", err.id);
  input.dataset.field = name;
  fields[name] = { input, err };
  return h(
    "span",
    { class: "qt-bfield" },
    h("label", {}, `${label} `, input),
    note ? h("small", { text: note }) : null,
    err,
  );
}

function textInput(value, label, size = 6) {
  return h("input", { type: "text", value, size: String(size), "aria-label": label });
}

/** Show `err` beside its field (or in the editor's hint) and focus that field. */
function showError(editor, fields, err) {
  for (const { input, err: slot } of Object.values(fields)) {
    slot.hidden = true;
    slot.textContent = "";
    input.removeAttribute("aria-invalid");
  }
  const f = fields[err.field];
  if (!f) {
    editor.hint.textContent = err.message;
    return;
  }
  f.err.textContent = err.message;
  f.err.hidden = false;
  f.input.setAttribute("aria-invalid", "true");
  f.input.focus();
}

/** Run `fn`; a FieldError is shown beside its field instead of changing anything. */
function guarded(editor, fields, fn) {
  try {
    fn();
    return true;
  } catch (err) {
    if (!(err instanceof FieldError)) throw err;
    showError(editor, fields, err);
    return false;
  }
}

/** The inspector of `it`, a block or a classical op of the grid shown by `editor`. */
export function renderBlockInspector(editor, it) {
  const box = editor.inspector;
  const c = editor.model.c;
  const fields = {};
  box.append(h("strong", { class: "qt-block-title", text: `${blockText(it, c)} (step ${it.t})` }));
  if (it.raw) {
    box.append(
      h("span", {
        class: "qt-hint",
        text: "a classical operation: change it in the OpenQASM text, or delete it here",
      }),
    );
  }
  const readers = []; // functions that read the fields into the block's new `ctl`
  const cond = it.ctl && (it.op === "if" || it.op === "while") ? it.ctl.condition : null;
  if (cond) {
    const simple = simpleCondition(cond);
    if (simple) {
      const bits = textInput(bitsText(simple.bits, c), "Condition bits", 8);
      const op = h(
        "select",
        { "aria-label": "Comparison" },
        h("option", { value: "==", text: "==" }),
        h("option", { value: "!=", text: "!=" }),
      );
      op.value = simple.op;
      const value = textInput(String(simple.value), "Condition value", 4);
      fields.op = { input: op, err: h("span") };
      box.append(
        h(
          "span",
          { class: "qt-bfield-row" },
          field(fields, "bits", `${it.op} (`, bits),
          op,
          field(fields, "value", "", value),
          h("span", { text: ")" }),
        ),
      );
      readers.push((ctl) => {
        ctl.condition = parseCondition({ bits: bits.value, op: op.value, value: value.value }, c);
      });
    } else {
      box.append(
        h("span", {
          class: "qt-hint",
          text: `condition ${exprText(cond, c)}: an expression the fields cannot show; change it in the OpenQASM text`,
        }),
      );
    }
  }
  if (it.op === "while") {
    const cap = it.ctl.max_iterations ?? 1000;
    box.append(
      h("span", {
        class: "qt-note qt-cap",
        text: `at most ${cap} passes: a run that needs more stops with an error (qtcore's cap for every while loop)`,
      }),
    );
  }
  if (it.op === "for" && it.ctl.range) {
    const [a, s, b] = it.ctl.range.map((e) => ("const" in e ? String(e.const) : null));
    if ([a, s, b].every((x) => x != null)) {
      const v = textInput(it.ctl.var, "Loop variable", 4);
      const start = textInput(a, "Range start", 4);
      const stop = textInput(b, "Range stop (included)", 4);
      const step = textInput(s, "Range step", 3);
      box.append(
        h(
          "span",
          { class: "qt-bfield-row" },
          field(fields, "var", "for", v),
          field(fields, "start", "in [", start),
          field(fields, "stop", ":", stop),
          field(fields, "step", "] step", step),
        ),
      );
      readers.push((ctl) => {
        ctl.var = parseVarName(v.value);
        ctl.range = parseRange({ start: start.value, step: step.value, stop: stop.value });
      });
    } else {
      box.append(
        h("span", {
          class: "qt-hint",
          text: "a range of expressions: change it in the OpenQASM text",
        }),
      );
    }
  } else if (it.op === "for") {
    box.append(
      h("span", { class: "qt-hint", text: "a loop over a set: change it in the OpenQASM text" }),
    );
  }
  let caseInputs = [];
  if (it.op === "switch" && "bits" in it.ctl.target) {
    const target = textInput(bitsText(it.ctl.target.bits, c), "Switch bits", 8);
    box.append(field(fields, "target", "switch (", target));
    caseInputs = it.ctl.cases.map((cs, i) => {
      const inp = textInput(
        cs.values.map((x) => exprText(x)).join(", "),
        `Case ${i + 1} values`,
        6,
      );
      return inp;
    });
    readers.push((ctl) => {
      const bits = parseBits(target.value, c, "target");
      ctl.target = { bits };
      const taken = [];
      ctl.cases = caseInputs.map((inp, i) => {
        const values = parseCaseValues(inp.value, bits.length, taken, `case${i}`);
        taken.push(...values.map((x) => x.const));
        return { values };
      });
    });
  }
  const apply = () => {
    const ctl = structuredClone(it.ctl || {});
    const ok = guarded(editor, fields, () => {
      for (const read of readers) read(ctl);
    });
    if (!ok) return;
    const idx = editor.items().indexOf(it);
    editor.edit(() => (editor.items()[idx].ctl = ctl));
    const again = editor.items()[idx];
    editor.selected = again;
    editor.renderGrid();
    editor.renderInspector();
    editor.hint.textContent = `${blockText(again, c)}: applied`;
  };
  const bodies = h("span", { class: "qt-bfield-row", role: "group", "aria-label": "Bodies" });
  if (it.bodies) {
    for (const key of bodyKeys(it)) {
      const n = it.bodies[key].length;
      const row = h("span", { class: "qt-bcase" });
      if (key.startsWith("case")) {
        const i = Number(key.slice(4));
        row.append(field(fields, key, "case", caseInputs[i]));
      }
      row.append(
        h("button", {
          type: "button",
          class: "qt-btn-small",
          text: `Edit ${key.startsWith("case") ? "case" : bodyLabel(it, key)} (${n} op${n === 1 ? "" : "s"})`,
          title: `Show the ${bodyLabel(it, key)} body in the grid`,
          "data-body": key,
          onclick: () => editor.enter(it, key),
        }),
      );
      if (key.startsWith("case")) {
        const i = Number(key.slice(4));
        row.append(
          h("button", {
            type: "button",
            class: "qt-btn-small",
            text: "Remove case",
            "aria-label": `Remove case ${i + 1}`,
            onclick: () =>
              guarded(editor, fields, () => {
                if (it.ctl.cases.length <= 1) removeCase(it, i); // throws the reason
                const idx = editor.items().indexOf(it);
                editor.edit(() => removeCase(editor.items()[idx], i));
                editor.selected = editor.items()[idx];
                editor.renderInspector();
              }),
          }),
        );
      }
      bodies.append(row);
    }
    if (it.op === "switch") {
      const add = h("button", {
        type: "button",
        class: "qt-btn-small",
        text: "Add case",
        onclick: () =>
          guarded(editor, fields, () => {
            const idx = editor.items().indexOf(it);
            addCase(structuredClone(it), c); // throws when every value has a case
            editor.edit(() => addCase(editor.items()[idx], c));
            editor.selected = editor.items()[idx];
            editor.renderInspector();
          }),
      });
      const err = h("span", { class: "qt-field-error", role: "alert", hidden: true });
      fields.case = { input: add, err };
      bodies.append(add, err);
    }
  }
  box.append(bodies);
  const buttons = [];
  if (readers.length)
    buttons.push(
      h("button", { type: "button", class: "qt-btn-small", text: "Apply", onclick: apply }),
    );
  buttons.push(
    h("button", {
      type: "button",
      class: "qt-btn-small",
      text: it.bodies ? "Delete block" : "Delete",
      "data-action": "delete",
      onclick: () => {
        editor.edit(() => editor.remove(it));
        editor.focusGrid();
      },
    }),
    ...editor.moveButtons(it),
    h("button", {
      type: "button",
      class: "qt-btn-small",
      text: "Close",
      onclick: () => editor.closeInspector(),
    }),
  );
  box.append(h("span", { class: "qt-bfield-row" }, ...buttons));
  for (const { input } of Object.values(fields))
    if (input.matches?.("input, select"))
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          apply();
        }
      });
}
