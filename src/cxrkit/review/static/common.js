// cxrkit review: shared helpers (API calls, the image viewer, report text). Plain JavaScript.
"use strict";

async function api(path, body) {
  const init = body === undefined ? {} :
    {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
  const r = await fetch(path, init);
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(data.error || r.statusText);
  return data;
}

function esc(s) {
  return String(s).replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
}

// The server renders the pixels for a window: "fit" a preview (1024 pixels on the long side),
// shown first, then the full resolution (same window) as soon as it has loaded.
function imageUrl(item, win, size) {
  const q = win.lo === undefined ? `preset=${win.preset}` : `lo=${win.lo}&hi=${win.hi}`;
  return `/api/items/${item}/image.png?${q}${size === "fit" ? "&size=fit" : ""}`;
}

function preload(item, win) {
  for (const size of ["fit", "full"]) { const im = new Image(); im.src = imageUrl(item, win, size); }
}

// The image viewer: fit / 1:1, zoom (wheel), pan (drag), window/level (right-drag; previewed
// with an SVG linear filter, then rendered by the server), box marking (shift-drag), boxes.
class Viewer {
  constructor(root) {
    this.vp = root.querySelector("#viewport");
    this.stage = root.querySelector("#stage");
    this.img = root.querySelector("#pix");
    this.svg = root.querySelector("#overlay");
    this.scale = 1; this.x = 0; this.y = 0; this.view = null; this.mark = null;
    this.showBoxes = true; this.onMark = () => {}; this.onFull = () => {};
    this.others = [];  // boxes to show beside the reader's own (the consensus screen: both readers')
    this.vp.addEventListener("wheel", e => this.wheel(e), {passive: false});
    this.vp.addEventListener("mousedown", e => this.down(e));
    this.vp.addEventListener("contextmenu", e => e.preventDefault());
  }
  show(view, win) {
    this.view = view; this.mark = view.own && view.own.box ? view.own.box : null;
    this.window(win || {preset: "full"});
    this.svg.setAttribute("viewBox", `0 0 ${view.cols} ${view.rows}`);
    this.svg.setAttribute("width", view.cols); this.svg.setAttribute("height", view.rows);
    this.img.width = view.cols; this.img.height = view.rows;
    this.fit(); this.drawBoxes();
  }
  window(win) {
    const v = this.view;
    this.win = win.lo === undefined ? presetWindow(v, win.preset) : win;
    // the preview first; the full resolution once it is shown (not competing with it)
    const token = this.loading = (this.loading || 0) + 1, full = imageUrl(v.item, win);
    const hi = new Image();
    hi.onload = () => {
      if (token !== this.loading) return;
      this.img.onload = () => this.filter(1, 0);
      this.img.src = full; this.img.dataset.full = "1";
      this.onFull();
    };
    this.img.onload = () => { this.filter(1, 0); if (!hi.src) hi.src = full; };
    this.img.dataset.full = "";
    this.img.src = imageUrl(v.item, win, "fit");
  }
  filter(slope, intercept) {
    for (const id of ["fr", "fg", "fb"]) {
      const f = document.getElementById(id);
      f.setAttribute("slope", slope); f.setAttribute("intercept", intercept);
    }
    this.img.style.filter = slope === 1 && intercept === 0 ? "" : "url(#wl)";
  }
  place() { this.stage.style.transform = `translate(${this.x}px,${this.y}px) scale(${this.scale})`; }
  fit() {
    const r = this.vp.getBoundingClientRect(), v = this.view;
    this.scale = Math.min(r.width / v.cols, r.height / v.rows);
    this.x = (r.width - v.cols * this.scale) / 2; this.y = (r.height - v.rows * this.scale) / 2;
    this.place();
  }
  one() { this.scale = 1; this.x = 0; this.y = 0; this.place(); }
  wheel(e) {
    e.preventDefault();
    const r = this.vp.getBoundingClientRect(), f = e.deltaY < 0 ? 1.2 : 1 / 1.2;
    const px = e.clientX - r.left, py = e.clientY - r.top;
    this.x = px - (px - this.x) * f; this.y = py - (py - this.y) * f; this.scale *= f;
    this.place();
  }
  toImage(e) {
    const r = this.vp.getBoundingClientRect();
    return [(e.clientX - r.left - this.x) / this.scale, (e.clientY - r.top - this.y) / this.scale];
  }
  down(e) {
    e.preventDefault();
    const sx = e.clientX, sy = e.clientY, x0 = this.x, y0 = this.y, w0 = this.win;
    const start = this.toImage(e), v = this.view, range = Math.max(v.max - v.min, 1);
    let next = null;
    const move = m => {
      const dx = m.clientX - sx, dy = m.clientY - sy;
      if (e.button === 2) {  // window/level: horizontal = width, vertical = level
        const width = Math.max((w0.hi - w0.lo) * Math.exp(dx / 200), range / 1000);
        const centre = (w0.lo + w0.hi) / 2 - dy * range / 500;
        next = {lo: centre - width / 2, hi: centre + width / 2};
        const slope = (w0.hi - w0.lo) / (next.hi - next.lo);
        this.filter(slope, (w0.lo - next.lo) / (next.hi - next.lo));
      } else if (e.shiftKey) {
        const end = this.toImage(m);
        this.mark = [Math.min(start[0], end[0]), Math.min(start[1], end[1]),
                     Math.max(start[0], end[0]), Math.max(start[1], end[1])].map(Math.round);
        this.drawBoxes();
      } else { this.x = x0 + dx; this.y = y0 + dy; this.place(); }
    };
    const up = () => {
      removeEventListener("mousemove", move); removeEventListener("mouseup", up);
      if (next) this.window(next);
      if (e.shiftKey && this.mark) this.onMark(this.mark);
    };
    addEventListener("mousemove", move); addEventListener("mouseup", up);
  }
  drawBoxes() {
    const rect = (b, cls) => `<rect class="${cls}" x="${b[0]}" y="${b[1]}" width="${b[2] - b[0]}" height="${b[3] - b[1]}"/>`;
    const scrub = this.showBoxes ? this.view.boxes.map(b => rect(b, "scrub")).join("") : "";
    const marks = [...this.others, ...(this.mark ? [this.mark] : [])];
    this.svg.innerHTML = scrub + marks.map(b => rect(b, "mark")).join("");
  }
  toggleBoxes(on) { this.showBoxes = on === undefined ? !this.showBoxes : on; this.drawBoxes(); }
}

function presetWindow(v, preset) {
  const f = {full: [0, 1], bright: [0.6, 1], dark: [0, 0.4], mid: [0.25, 0.75]}[preset] || [0, 1];
  const r = v.max - v.min;
  return {lo: v.min + f[0] * r, hi: v.min + f[1] * r, preset: preset};
}

// A report's released text, every ___ (a removed value) marked.
function showText(pre, text) {
  pre.innerHTML = esc(text).replace(/_{3,}/g, m => `<mark class="removed">${m}</mark>`);
}

// The selected span of the report text as [start, end) character offsets, or null.
function selectedSpan(pre) {
  const sel = getSelection();
  if (!sel.rangeCount || sel.isCollapsed) return null;
  const range = sel.getRangeAt(0);
  if (!pre.contains(range.startContainer)) return null;
  const before = document.createRange();
  before.setStart(pre, 0); before.setEnd(range.startContainer, range.startOffset);
  const start = before.toString().length;
  return [start, start + range.toString().length];
}

function headerTable(table, rows) {
  table.innerHTML = "<tr><th>tag</th><th>name</th><th>VR</th><th>value</th></tr>" + rows.map(r =>
    `<tr class="${r.flag ? "flag-" + r.flag : ""}"><td>${esc(r.tag)}</td>` +
    `<td style="padding-left:${0.3 + r.depth * 0.8}em">${esc(r.name)}</td><td>${esc(r.vr)}</td>` +
    `<td>${esc(r.value)}${r.flag ? ` <span class="flag">${r.flag}</span>` : ""}</td></tr>`).join("");
}
