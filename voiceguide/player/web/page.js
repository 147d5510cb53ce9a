// Follow-along page: shows where the audio is in the session's timeline.
// Same look-ups and keys as the terminal player (voiceguide/player/timeline.py, loop.py).
(() => {
  "use strict";
  const RESTART_GRACE_S = 3.0; // "back" this close to a chapter's start goes to the chapter before
  const MIN_PAUSE_BAR_S = 2.0; // a silence without a role shows a countdown only when at least this long

  const data = JSON.parse(document.getElementById("session-data").textContent);
  const cues = data.cues;
  const chapters = data.chapters;
  const duration = data.duration_s;
  const audio = document.getElementById("audio");
  const el = (id) => document.getElementById(id);
  const shown = {};

  // The last index whose start_s is at or before t (-1 when none).
  function indexAt(list, t) {
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].start_s <= t) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
  }

  function moment(t) {
    t = Math.min(Math.max(0, t), duration);
    const finished = t >= duration;
    const chapter = indexAt(chapters, t);
    let index = indexAt(cues, t);
    if (finished && cues.length) index = cues.length - 1;
    const m = { t, finished, chapter, words: "", speaking: false, repetition: "", countdown: null, next: "" };
    if (index < 0) return m;
    const cue = cues[index];
    m.speaking = cue.kind === "speech" && !finished;
    if (cue.kind === "speech") {
      m.words = cue.text || "";
    } else {
      const start = chapter >= 0 ? chapters[chapter].start_s : 0;
      for (let i = index - 1; i >= 0 && cues[i].start_s >= start; i--) {
        if (cues[i].kind === "speech" && cues[i].text) {
          m.words = cues[i].text;
          break;
        }
      }
    }
    const parts = [];
    if (cue.repetition && cue.repetitions > 1) parts.push(`Repetition ${cue.repetition} of ${cue.repetitions}`);
    const part = cue.part || "foot";
    if (cue.side) parts.push(parts.length ? `${cue.side} ${part}` : `${cue.side[0].toUpperCase()}${cue.side.slice(1)} ${part}`);
    m.repetition = parts.join(" · ");
    if (cue.kind === "pause" && !finished) {
      const length = cue.end_s - cue.start_s;
      const role = cue.role === "hold" || cue.role === "rest" ? cue.role : "pause";
      if (role !== "pause" || length >= MIN_PAUSE_BAR_S) m.countdown = { role, length, left: cue.end_s - t };
    }
    if (!finished) {
      for (let i = index + 1; i < cues.length; i++) {
        if (cues[i].kind === "speech" && cues[i].text) {
          m.next = cues[i].text;
          break;
        }
      }
    }
    return m;
  }

  function nextChapter(t) {
    const c = chapters.find((ch) => ch.start_s > t + 1e-6);
    return c ? c.start_s : duration;
  }

  function previousTarget(t) {
    const i = indexAt(chapters, t);
    if (i < 0) return 0;
    if (t - chapters[i].start_s > RESTART_GRACE_S || i === 0) return chapters[i].start_s;
    return chapters[i - 1].start_s;
  }

  // Change the page only where something changed (keeps the live region quiet).
  function put(id, text) {
    if (shown[id] !== text) {
      shown[id] = text;
      el(id).textContent = text;
    }
  }

  function render() {
    const m = moment(audio.currentTime || 0);
    const title = m.chapter >= 0 ? chapters[m.chapter].title : "";
    put("chapter", title);
    put("chapter-number", String(m.chapter + 1));
    put("step", m.words);
    el("step").classList.toggle("silent", !m.speaking);
    put("repetition", m.repetition);
    const countdown = el("countdown");
    countdown.hidden = !m.countdown;
    if (m.countdown) {
      const left = Math.max(0, m.countdown.left);
      const percent = m.countdown.length > 0 ? Math.round((100 * left) / m.countdown.length) : 0;
      put("countdown-label", m.countdown.role[0].toUpperCase() + m.countdown.role.slice(1));
      put("countdown-left", `${left.toFixed(1)} s`);
      el("countdown-fill").style.width = `${percent}%`;
      el("countdown-bar").setAttribute("aria-valuenow", String(percent));
    }
    put("next", m.next ? `Next: ${m.next}` : "");
    put("elapsed", clock(m.t));
    put("remaining", `−${clock(duration - m.t)}`);
    const seek = el("seek");
    if (document.activeElement !== seek) seek.value = String(m.t);
    const playing = !audio.paused && !audio.ended;
    put("play-label", playing ? "Pause" : "Play");
    for (const [i, item] of chapterButtons.entries()) {
      const current = i === m.chapter;
      if (item.current !== current) {
        item.current = current;
        if (current) item.button.setAttribute("aria-current", "true");
        else item.button.removeAttribute("aria-current");
      }
    }
  }

  function seekTo(t) {
    audio.currentTime = Math.min(Math.max(0, t), duration);
    render();
  }

  function toggle() {
    if (audio.paused || audio.ended) {
      audio.play().catch(() => notice(`Cannot play ${data.audio}: keep it in the same folder as this page.`));
    } else {
      audio.pause();
    }
  }

  function notice(text) {
    put("notice", text);
  }

  // Keep the screen on while playing, where the browser allows it.
  let wakeLock = null;
  async function holdScreen(on) {
    try {
      if (on && !wakeLock && "wakeLock" in navigator && document.visibilityState === "visible") {
        wakeLock = await navigator.wakeLock.request("screen");
        wakeLock.addEventListener("release", () => {
          wakeLock = null;
        });
      } else if (!on && wakeLock) {
        await wakeLock.release();
        wakeLock = null;
      }
    } catch (err) {
      wakeLock = null; // refused (battery saver, no permission): the session plays all the same
    }
  }

  const chapterButtons = chapters.map((chapter) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    const time = document.createElement("span");
    time.className = "time";
    time.textContent = clock(chapter.start_s);
    const name = document.createElement("span");
    name.textContent = chapter.title;
    button.append(time, name);
    button.addEventListener("click", () => seekTo(chapter.start_s));
    li.append(button);
    el("chapters").append(li);
    return { button, current: false };
  });

  put("chapter-count", String(chapters.length));
  el("seek").max = String(duration);
  el("seek").addEventListener("input", (e) => seekTo(Number(e.target.value)));
  el("play").addEventListener("click", toggle);
  el("skip").addEventListener("click", () => seekTo(nextChapter(audio.currentTime)));
  el("back").addEventListener("click", () => seekTo(previousTarget(audio.currentTime)));

  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const onSlider = document.activeElement === el("seek");
    if (e.key === " ") toggle();
    else if (e.key === "n" || e.key === "N" || (e.key === "ArrowRight" && !onSlider)) seekTo(nextChapter(audio.currentTime));
    else if (e.key === "p" || e.key === "P" || (e.key === "ArrowLeft" && !onSlider)) seekTo(previousTarget(audio.currentTime));
    else if (e.key === "q" || e.key === "Q") audio.pause();
    else return;
    e.preventDefault(); // space would also press the focused button, or scroll
  });

  let frame = 0;
  function tick() {
    render();
    frame = !audio.paused && !audio.ended ? requestAnimationFrame(tick) : 0;
  }
  audio.addEventListener("play", () => {
    holdScreen(true);
    notice("");
    if (!frame) frame = requestAnimationFrame(tick);
  });
  audio.addEventListener("pause", () => holdScreen(false).then(render));
  audio.addEventListener("ended", () => holdScreen(false).then(render));
  for (const name of ["timeupdate", "seeked", "seeking", "loadedmetadata", "durationchange"]) audio.addEventListener(name, render);
  audio.addEventListener("error", () => notice(`Cannot load ${data.audio}: keep it in the same folder as this page.`));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !audio.paused) holdScreen(true);
  });

  if ("mediaSession" in navigator) {
    navigator.mediaSession.metadata = new MediaMetadata({ title: data.title, artist: "voiceguide" });
    const actions = {
      play: () => audio.play(),
      pause: () => audio.pause(),
      nexttrack: () => seekTo(nextChapter(audio.currentTime)),
      previoustrack: () => seekTo(previousTarget(audio.currentTime)),
      seekto: (details) => seekTo(details.seekTime),
    };
    for (const [action, handler] of Object.entries(actions)) {
      try {
        navigator.mediaSession.setActionHandler(action, handler);
      } catch (err) {
        // an action this browser does not know
      }
    }
  }

  render();
})();
