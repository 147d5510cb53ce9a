// voiceguide studio: the library, the editor (form and YAML in step, problems as you type), hearing, building, publishing.
// Everything goes through the studio's own API (README: "Studio"); nothing is fetched from elsewhere.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const CHECK_AFTER_MS = 150; // pause in typing before the routine is checked
  const PLAN_AFTER_MS = 1200; // pause before the timeline is worked out again (it narrates new lines)

  async function api(method, url, body) {
    const options = { method, headers: {} };
    if (body !== undefined) {
      options.headers["content-type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    const type = response.headers.get("content-type") || "";
    const data = type.startsWith("application/json") ? await response.json() : await response.blob();
    if (!response.ok) {
      const err = new Error(data.message || response.statusText);
      Object.assign(err, { status: response.status, data });
      throw err;
    }
    return data;
  }

  const said = (err) => (err.data && err.data.hint ? `${err.message} — ${err.data.hint}` : err.message);

  function clock(seconds) {
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
  }

  // ---- the library ----
  function library() {
    for (const cell of document.querySelectorAll("td.built")) {
      const when = Number(cell.dataset.built);
      if (when) cell.textContent = new Date(when * 1000).toLocaleString();
    }
    $("new-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const name = $("new-name").value.trim();
      try {
        await api("POST", "/api/routines", { name, language: $("new-language").value });
        location.href = `/edit/${encodeURIComponent(name)}`;
      } catch (err) {
        $("library-status").textContent = said(err);
      }
    });
    for (const button of document.querySelectorAll("button.copy")) {
      button.addEventListener("click", async () => {
        const name = prompt("Name of the copy", `${button.dataset.name}-mine`);
        if (!name) return;
        try {
          await api("POST", "/api/routines", { name, from: button.dataset.name });
          location.href = `/edit/${encodeURIComponent(name)}`;
        } catch (err) {
          $("library-status").textContent = said(err);
        }
      });
    }
    for (const button of document.querySelectorAll("button.delete")) {
      button.addEventListener("click", async () => {
        if (!confirm(`Move ${button.dataset.name} to the trash?`)) return;
        try {
          await api("DELETE", `/api/routines/${encodeURIComponent(button.dataset.name)}`);
          button.closest("tr").remove();
        } catch (err) {
          $("library-status").textContent = said(err);
        }
      });
    }
  }

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

  // ---- the editor ----
  function editor(root) {
    const name = root.dataset.name;
    const yaml = $("yaml");
    const fields = [...document.querySelectorAll("[data-key]")];
    let version = null;
    let builtin = false;
    let checkTimer = 0;
    let planTimer = 0;
    let checked = 0; // the number of the last check sent: only the latest answer is shown

    function formFromYaml() {
      for (const field of fields) {
        if (document.activeElement === field) continue;
        const found = keyLine(field.dataset.key).exec(yaml.value);
        const value = found ? readScalar(found[1]) : "";
        field.disabled = value === null;
        if (value !== null) field.value = value;
      }
    }

    // Line numbers beside the YAML, a problem's line marked (its message as the tooltip).
    let marked = new Map();
    function gutter() {
      const count = yaml.value.split("\n").length;
      const gutterEl = $("gutter");
      gutterEl.replaceChildren(
        ...Array.from({ length: count }, (_, i) => {
          const span = document.createElement("span");
          span.textContent = `${i + 1}\n`;
          if (marked.has(i + 1)) {
            span.className = "bad";
            span.title = marked.get(i + 1);
          }
          return span;
        }),
      );
      gutterEl.scrollTop = yaml.scrollTop;
    }

    function showProblems(problems) {
      marked = new Map(problems.map((p) => [p.line, p.message]));
      gutter();
      const list = $("problems");
      list.replaceChildren();
      const lines = yaml.value.split("\n");
      for (const field of fields) field.classList.remove("has-problem");
      if (!problems.length) {
        const li = document.createElement("li");
        li.className = "ok";
        li.textContent = "No problems.";
        list.append(li);
      }
      techniques.mark(problems);
      for (const p of problems) {
        const li = document.createElement("li");
        li.textContent = `line ${p.line}, column ${p.column}: ${p.message}${p.hint ? ` — ${p.hint}` : ""}`;
        li.dataset.line = String(p.line);
        li.addEventListener("click", () => selectLine(p.line));
        list.append(li);
        const key = ((lines[p.line - 1] || "").match(/^([a-z_]+):/) || [])[1];
        const field = fields.find((f) => f.dataset.key === key);
        if (field) {
          field.classList.add("has-problem");
          field.title = li.textContent;
        }
      }
    }

    const techniques = techniqueForm(yaml, () => {
      gutter();
      changed();
    });

    function selectLine(line) {
      const lines = yaml.value.split("\n");
      const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
      yaml.focus();
      yaml.setSelectionRange(start, start + (lines[line - 1] || "").length);
    }

    async function check() {
      const mine = ++checked;
      try {
        const answer = await api("POST", "/api/validate", { yaml: yaml.value, name, outline: true });
        if (mine !== checked) return;
        techniques.show(answer.outline, answer.lists);
        showProblems(answer.problems);
        clearTimeout(planTimer);
        if (!answer.problems.length) planTimer = setTimeout(timeline, PLAN_AFTER_MS);
      } catch (err) {
        if (mine === checked) showProblems(err.data && err.data.problems ? err.data.problems : [{ line: 1, column: 1, message: said(err), hint: "" }]);
      }
    }

    function changed() {
      clearTimeout(checkTimer);
      checkTimer = setTimeout(check, CHECK_AFTER_MS);
    }

    // The length slider: within what the routine can be fitted to; moving it sets the build's length.
    const slider = $("length-slider");
    const lengthField = $("build-form").elements.namedItem("length");
    slider.addEventListener("input", () => {
      $("length-shown").textContent = clock(Number(slider.value));
    });
    slider.addEventListener("change", () => {
      lengthField.value = `${Math.round(Number(slider.value))}s`;
      timeline();
    });
    lengthField.addEventListener("change", timeline);

    async function timeline() {
      try {
        const length = lengthField.value.trim();
        const plan = await api("POST", "/api/plan", { yaml: yaml.value, name, reach: true, options: length ? { length } : {} });
        if (plan.reach) {
          slider.min = String(Math.ceil(plan.reach.shortest_s));
          slider.max = String(Math.floor(Math.min(plan.reach.longest_s, 4 * plan.duration_s + 60)));
          slider.value = String(Math.round(plan.duration_s));
          $("length-shown").textContent = clock(plan.duration_s);
          $("length-label").hidden = false;
        }
        $("timeline-total").textContent = `${clock(plan.duration_s)} in all`;
        $("timeline").replaceChildren(
          ...plan.chapters.map((c) => {
            const li = document.createElement("li");
            const time = document.createElement("span");
            time.className = "time";
            time.textContent = clock(c.start_s);
            li.append(time, c.title);
            return li;
          }),
        );
      } catch (err) {
        $("timeline-total").textContent = said(err);
      }
    }

    async function load() {
      const routine = await api("GET", `/api/routines/${encodeURIComponent(name)}`);
      yaml.value = routine.yaml;
      version = routine.version;
      builtin = routine.builtin;
      $("builtin-note").hidden = !builtin;
      $("save").disabled = builtin;
      $("reload").hidden = true;
      formFromYaml();
      check();
    }

    async function save() {
      try {
        const answer = await api("PUT", `/api/routines/${encodeURIComponent(name)}`, { yaml: yaml.value, version });
        version = answer.version;
        $("save-status").textContent = "Saved.";
      } catch (err) {
        $("save-status").textContent = said(err);
        $("reload").hidden = err.status !== 409;
      }
    }

    yaml.addEventListener("scroll", () => {
      $("gutter").scrollTop = yaml.scrollTop;
    });
    yaml.addEventListener("input", () => {
      gutter();
      formFromYaml();
      $("save-status").textContent = "";
      changed();
    });
    for (const field of fields) {
      field.addEventListener("input", () => {
        yaml.value = setKey(yaml.value, field.dataset.key, field.value.trim());
        changed();
      });
    }
    $("media-file").addEventListener("change", async () => {
      const file = $("media-file").files[0];
      if (!file) return;
      const safe = file.name.replace(/[^A-Za-z0-9_.-]/g, "-").replace(/^[^A-Za-z0-9]+/, "");
      try {
        const response = await fetch(`/api/media/${encodeURIComponent(safe)}`, { method: "PUT", body: file });
        const answer = await response.json();
        if (!response.ok) throw Object.assign(new Error(answer.message), { data: answer });
        yaml.value = answer.kind === "cover" ? setKey(yaml.value, "cover", answer.path) : setBlock(yaml.value, "music", `{file: ${answer.path}}`);
        $("media-status").textContent = `Added ${answer.path}.`;
        formFromYaml();
        changed();
      } catch (err) {
        $("media-status").textContent = said(err);
      }
    });
    $("save").addEventListener("click", save);
    $("reload").addEventListener("click", load);
    hear(() => options());
    building(name, () => yaml.value, () => options());
    load().catch((err) => showProblems([{ line: 1, column: 1, message: said(err), hint: "" }]));
  }

  // ---- each technique's fields, its steps, intro and precautions: changed in place in the YAML (positions from the server's outline) ----
  const TECHNIQUE_FIELDS = [
    ["name", "Name"], ["repetitions", "Repetitions"], ["hold", "Hold"], ["rest", "Rest"], ["sides", "Sides"], ["cue", "Cue"],
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

  function options() {
    const form = $("build-form");
    const chosen = {};
    for (const el of form.elements) {
      if (!el.name) continue;
      if (el.type === "checkbox") chosen[el.name] = el.checked;
      else if (el.value !== "") chosen[el.name] = el.type === "number" ? Number(el.value) : el.value;
    }
    return chosen;
  }

  function hear(chosen) {
    const audio = $("say-audio");
    $("say-button").addEventListener("click", async () => {
      const text = $("say-text").value.trim() || $("f-title").value;
      const { voice, rate, engine } = chosen();
      try {
        const wav = await api("POST", "/api/say", { text, options: { voice, rate, engine } });
        audio.src = URL.createObjectURL(wav);
        await audio.play();
      } catch (err) {
        $("timeline-total").textContent = said(err);
      }
    });
    $("bed-button").addEventListener("click", () => {
      audio.src = `/api/beds/${encodeURIComponent($("bed-choice").value)}`;
      audio.play().catch(() => {});
    });
  }

  function building(name, text, chosen) {
    const progress = $("build-progress");
    let current = null;

    function show(build) {
      progress.dataset.state = build.state;
      $("build-bar").value = build.progress;
      const pct = Math.round(100 * build.progress);
      $("build-text").textContent =
        build.state === "failed" ? `failed: ${build.error.message}${build.error.hint ? ` — ${build.error.hint}` : ""}` : `${build.state} ${build.stage} ${pct}%`;
      $("cancel").hidden = build.state !== "queued" && build.state !== "running";
      if (build.state !== "done") return;
      const page = build.files.find((f) => f.kind === "page");
      const audio = build.files.find((f) => f.kind === "audio");
      if (page) {
        $("player").src = `${page.url}?built=${build.id}`;
        $("player").hidden = false;
      }
      if (audio) {
        $("download").href = audio.url;
        $("download").hidden = false;
        $("download").textContent = `Download ${audio.url.split("/").pop()}`;
      }
    }

    $("build").addEventListener("click", async () => {
      try {
        const { id } = await api("POST", "/api/builds", { yaml: text(), name, options: chosen() });
        current = id;
        progress.dataset.state = "queued";
        const events = new EventSource(`/api/builds/${id}/events`);
        events.addEventListener("build", (e) => {
          const build = JSON.parse(e.data);
          show(build);
          if (["done", "failed", "cancelled"].includes(build.state)) events.close();
        });
        events.onerror = () => events.close();
      } catch (err) {
        $("build-text").textContent = said(err);
      }
    });
    $("cancel").addEventListener("click", () => current && api("DELETE", `/api/builds/${current}`).catch(() => {}));
  }

  // ---- publishing ----
  function publish(form) {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const body = { sessions: data.getAll("sessions") };
      for (const [key, value] of data.entries()) if (key !== "sessions" && value !== "") body[key] = value;
      try {
        const answer = await api("POST", "/api/feed", body);
        $("publish-status").textContent = `Wrote ${answer.feed} with ${answer.episodes} episode(s).`;
        $("publish-warnings").replaceChildren(...answer.warnings.map((w) => Object.assign(document.createElement("li"), { textContent: w })));
      } catch (err) {
        $("publish-status").textContent = said(err);
      }
    });
  }

  if ($("routine-list")) library();
  if ($("editor")) editor($("editor"));
  if ($("publish-form")) publish($("publish-form"));
})();
