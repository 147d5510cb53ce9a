// voiceguide studio: the library, the editor (form and YAML in step, problems as you type), hearing, building, publishing.
// Everything goes through the studio's own API (docs/studio.md); nothing is fetched from elsewhere.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const CHECK_AFTER_MS = 150; // pause in typing before the routine is checked
  const PLAN_AFTER_MS = 1200; // pause before the timeline is worked out again (it narrates new lines)
  const { keyLine, readScalar, setKey, setBlock, techniqueForm } = window.voiceguideForm; // static/form.js

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
