// voiceguide studio: the editor's form, written into the YAML text in place — top-level keys by their line, each
// technique's fields, its steps, the intro and the precautions at the places the server's outline gives. The rest stays as written.
window.voiceguideForm = (() => {
  "use strict";
  const $ = (id) => document.getElementById(id);

  // ---- top-level keys of the YAML text, for the form (the rest stays as written) ----
  const keyLine = (key) => new RegExp(`^${key}:[ \\t]*(.*)$`, "m");

  function readScalar(raw) {
    const value = raw.trim();
    if (value.startsWith('"')) {
      try {
        return JSON.parse(value);
      } catch (err) {
        return null;
      }
    }
    if (value.startsWith("'")) return value.endsWith("'") && value.length > 1 ? value.slice(1, -1).replace(/''/g, "'") : null;
    if (value === "" || /^[|>[{&*!]/.test(value)) return null; // written another way: the form leaves it alone
    return value.replace(/\s+#.*$/, "");
  }

  function writeScalar(value) {
    const plain = /^[A-Za-z0-9\u00c0-\uffff][^:#"'\n\\{}[\],&*!|>%@`]*$/.test(value) && !/\s$/.test(value) && !/^(true|false|yes|no|null|on|off)$/i.test(value);
    return plain ? value : JSON.stringify(value);
  }

  function setKey(text, key, value) {
    const pattern = keyLine(key);
    if (value === "") return pattern.test(text) && key !== "title" ? text.replace(new RegExp(`^${key}:.*\\n?`, "m"), "") : text;
    const line = `${key}: ${writeScalar(value)}`;
    if (pattern.test(text)) return text.replace(pattern, line);
    const title = keyLine("title").exec(text);
    if (!title) return `${line}\n${text}`;
    const end = title.index + title[0].length;
    return `${text.slice(0, end)}\n${line}${text.slice(end)}`;
  }

  // A top-level key written as one line, replacing it and the lines indented under it.
  function setBlock(text, key, raw) {
    const lines = text.split("\n");
    const at = lines.findIndex((l) => l.startsWith(`${key}:`));
    if (at < 0) return setKey(text, key, "").replace(/^(title:.*)$/m, `$1\n${key}: ${raw}`);
    let end = at + 1;
    while (end < lines.length && /^(\s|$)/.test(lines[end]) && lines[end] !== "") end++;
    lines.splice(at, end - at, `${key}: ${raw}`);
    return lines.join("\n");
  }

  // ---- each technique's fields, its steps, intro and precautions: changed in place in the YAML (positions from the server's outline) ----
  const TECHNIQUE_FIELDS = [
    ["name", "Name"], ["repetitions", "Repetitions"], ["hold", "Hold"], ["rest", "Rest"], ["sides", "Sides"], ["cue", "Cue"], ["switch", "Switch ({side})"],
    ["pause_after", "Pause after"], ["chime", "Chime", "checkbox"], ["release", "Release", "checkbox"], ["steps", "Steps (one a line; pause: 2s)", "textarea"],
  ];
  const YES = /^(true|yes|on)$/i;

  // A list of steps from the form's lines: words are said; "pause: 2s", "chime: true" and "{say: …, pause: …}" stay as written.
  function stepItems(text, indent) {
    const pad = " ".repeat(indent);
    return text.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
      const keyed = /^(say|pause|chime)\s*:\s*(.*)$/.exec(l);
      if (keyed) return `${pad}- ${keyed[1]}: ${keyed[1] === "say" ? writeScalar(keyed[2]) : keyed[2]}`;
      return `${pad}- ${l.startsWith("{") ? l : writeScalar(l)}`;
    });
  }

  function techniqueForm(yaml, edited) {
    const box = $("techniques");
    const listFields = [...document.querySelectorAll("[data-list]")];
    let shape = [];
    let top = {};

    // Replace lines first..last (from 1, inclusive; last = first - 1 inserts) and move every known place after them.
    function splice(first, last, added) {
      const lines = yaml.value.split("\n");
      lines.splice(first - 1, last - first + 1, ...added);
      const by = added.length - (last - first + 1);
      const places = [...shape, ...shape.flatMap((t) => Object.values(t.fields)), ...Object.values(top)];
      for (const p of places) {
        const after = p.line > last;
        if (after) p.line += by;
        if (p.last !== undefined && (after || p.last > last || (p.last === last && first <= last))) p.last += by;
      }
      yaml.value = lines.join("\n");
    }

    function edit(t, key, value, raw) {
      const lines = yaml.value.split("\n");
      const f = t.fields[key];
      const written = raw ? value : writeScalar(value);
      if (f && value === "" && key !== "name" && new RegExp(`^\\s+${key}:`).test(lines[f.line - 1])) {
        splice(f.line, f.line, []);
        delete t.fields[key];
      } else if (f) {
        const line = lines[f.line - 1];
        splice(f.line, f.line, [line.slice(0, f.column - 1) + written + line.slice(f.end - 1)]);
        Object.assign(f, { value, end: f.column + written.length });
      } else if (value !== "") {
        splice(t.line + 1, t.line, [`${" ".repeat(t.indent)}${key}: ${written}`]);
        t.fields[key] = { value, line: t.line + 1, column: t.indent + key.length + 3, end: t.indent + key.length + 3 + written.length, editable: true };
      }
      edited();
    }

    // A list of steps (a technique's, the intro, the precautions) written again from the form's lines.
    function editList(f, key, text, missingAt, indent) {
      const items = stepItems(text, indent + 2);
      const written = items.length ? [`${" ".repeat(indent)}${key}:`, ...items] : key === "steps" ? [`${" ".repeat(indent)}${key}: []`] : [];
      if (f) splice(f.line, f.last, written);
      else if (written.length && missingAt) splice(missingAt, missingAt - 1, written);
      edited();
      return f || (written.length && missingAt ? { line: missingAt, last: missingAt + written.length - 1, indent, editable: true } : undefined);
    }

    function addTechnique() {
      if (!top.techniques) return;
      const indent = shape.length ? shape[shape.length - 1].indent : 4;
      const pad = " ".repeat(indent);
      const first = top.techniques.last + 1;
      splice(first, first - 1, ["", `${" ".repeat(indent - 2)}- name: New technique`, `${pad}steps:`, ...stepItems("Say what to do.", indent + 2)]);
      edited();
    }

    function removeTechnique(i) {
      const t = shape[i];
      if (!t || !confirm(`Remove technique ${i + 1} (${(t.fields.name || {}).value || "no name"})?`)) return;
      splice(t.line, t.last, []);
      shape.splice(i, 1);
      edited();
    }

    function fieldset(i) {
      const set = document.createElement("fieldset");
      const legend = document.createElement("legend");
      legend.textContent = `Technique ${i + 1}`;
      set.append(legend);
      for (const [key, label, kind] of TECHNIQUE_FIELDS) {
        const wrap = document.createElement("label");
        wrap.className = kind === "checkbox" ? `${key} check` : key;
        const input = document.createElement(kind === "textarea" ? "textarea" : "input");
        if (kind === "checkbox") input.type = "checkbox";
        if (kind === "textarea") input.rows = 4;
        Object.assign(input.dataset, { t: String(i), k: key });
        input.addEventListener(kind === "checkbox" ? "change" : "input", () => {
          const t = shape[i];
          if (kind === "checkbox") edit(t, key, input.checked ? "true" : "", true);
          else if (kind === "textarea") t.fields.steps = editList(t.fields.steps, "steps", input.value, t.line + 1, t.indent);
          else edit(t, key, input.value.trim());
        });
        wrap.append(label, input);
        set.append(wrap);
      }
      const remove = document.createElement("button");
      Object.assign(remove, { type: "button", className: "remove", textContent: "Remove technique" });
      Object.assign(remove.dataset, { t: String(i), testid: `remove-technique-${i}` });
      remove.addEventListener("click", () => removeTechnique(i));
      set.append(remove);
      return set;
    }

    function show(outline, lists) {
      const focused = document.activeElement;
      shape = outline;
      top = lists || {};
      if (box.querySelectorAll("fieldset").length !== shape.length) box.replaceChildren(...shape.map((_, i) => fieldset(i)));
      for (const input of box.querySelectorAll("[data-k]")) {
        const t = shape[Number(input.dataset.t)];
        const f = t && t.fields[input.dataset.k];
        input.disabled = !t || t.flow || (f && !f.editable) || (input.type === "checkbox" && f && !YES.test(f.value) && !/^(false|no|off)$/i.test(f.value));
        if (input === focused) continue;
        if (input.type === "checkbox") input.checked = Boolean(f && YES.test(f.value));
        else input.value = f ? f.value : "";
      }
      const lines = yaml.value.split("\n");
      for (const button of box.querySelectorAll("button.remove")) button.disabled = !/^\s*- /.test(lines[shape[Number(button.dataset.t)].line - 1] || "");
      for (const area of listFields) {
        const f = top[area.dataset.list];
        area.disabled = Boolean(f && !f.editable) || !top.techniques;
        if (area !== focused) area.value = f ? f.value : "";
      }
    }

    function mark(problems) {
      const bad = (f) => {
        const p = f && problems.find((q) => q.line >= f.line && q.line <= (f.last || f.line));
        return p ? `line ${p.line}: ${p.message}${p.hint ? ` — ${p.hint}` : ""}` : "";
      };
      const marks = [...box.querySelectorAll("[data-k]")].map((input) => {
        const t = shape[Number(input.dataset.t)];
        return [input, bad(t && t.fields[input.dataset.k])];
      });
      for (const area of listFields) marks.push([area, bad(top[area.dataset.list])]);
      for (const [input, problem] of marks) {
        input.classList.toggle("has-problem", Boolean(problem));
        input.title = problem;
      }
    }

    for (const area of listFields) {
      area.addEventListener("input", () => {
        const key = area.dataset.list;
        const before = top.techniques ? top.techniques.line : undefined;
        top[key] = editList(top[key], key, area.value, before, 0);
      });
    }
    $("add-technique").addEventListener("click", addTechnique);
    return { show, mark };
  }

  return { keyLine, readScalar, writeScalar, setKey, setBlock, techniqueForm };
})();
