// cxrkit review: one reader's review screen. Keys: 1 no PHI, 2 PHI, 3 unsure, the PHI kinds by their
// underlined letters (n d i l t c a h), Z undo,
// ←/→ previous/next item, B scrub boxes, F fit, O 1:1; labels items: ↑↓, 1/0/-/Backspace, Enter.
"use strict";

const $ = s => document.querySelector(s);
const state = {queue: [], pos: -1, view: null, cache: new Map(), labels: {}, row: 0, span: null};
const viewer = new Viewer(document);
viewer.onMark = box => { $("#mark").textContent = `box ${box.join(", ")}`; };

function status(text) { $("#status").textContent = text; }

function progress() {
  const done = state.queue.filter(q => q.done).length;
  $("#progress").textContent = `${done} / ${state.queue.length} decided`;
}

function nextUndecided(from) {
  const n = state.queue.length;
  for (let k = 1; k <= n; k++) {
    const i = (from + k) % n;
    if (!state.queue[i].done) return i;
  }
  return -1;
}

function fetchView(item) {
  if (!state.cache.has(item)) {
    const p = api(`/api/items/${item}`);
    p.catch(() => state.cache.delete(item));
    state.cache.set(item, p);
  }
  return state.cache.get(item);
}

// The next undecided item's view and pixels are fetched while the reader reads this one.
function prefetch() {
  const i = nextUndecided(state.pos);
  if (i < 0 || i === state.pos) return;
  const item = state.queue[i].item;
  fetchView(item).then(v => {
    if (v.kind === "image") preload(item, {preset: "full"});
  });
}

async function go(pos) {
  state.pos = pos;
  $("#done").hidden = pos >= 0;
  if (pos < 0) { for (const id of ["#viewport", "#text"]) $(id).hidden = true; progress(); return; }
  const q = state.queue[pos];
  const t0 = performance.now();
  const view = await fetchView(q.item);
  state.cache.delete(q.item);  // a decision changes it: fetch afresh next time
  state.view = view;
  history.replaceState(null, "", `#${q.item}`);
  $("#where").textContent = `item ${pos + 1}: ${view.kind} ${view.item_id}`;
  render(view);
  progress();
  document.body.dataset.item = q.item;
  document.body.dataset.shownMs = Math.round(performance.now() - t0);
  if (view.kind === "image") viewer.onFull = () => { viewer.onFull = () => {}; prefetch(); };
  else prefetch();  // an image's next item is fetched once its full resolution is shown
}

function render(view) {
  const own = view.own || {};
  const image = view.kind === "image";
  $("#viewport").hidden = !image; $("#imagetools").hidden = !image;
  $("#text").hidden = image; $("#headers").hidden = !image;
  $("#phi").hidden = view.kind === "labels"; $("#labels").hidden = view.kind !== "labels";
  $("#comment").value = own.comment || "";
  $("#mark").textContent = own.box ? `box ${own.box.join(", ")}` : own.span ? `span ${own.span.join("–")}` : "";
  state.span = own.span || null;
  for (const box of document.querySelectorAll("input[name=kind]")) box.checked = (own.phi_kinds || []).includes(box.value);
  for (const b of document.querySelectorAll("[data-decision]")) b.classList.toggle("chosen", b.dataset.decision === own.decision);
  if (image) { viewer.show(view); headerTable($("#headers"), view.headers); }
  else showText($("#text"), view.text);
  if (view.kind === "labels") renderLabels(view);
}

function renderLabels(view) {
  const own = (view.own && view.own.labels) || {};
  state.labels = Object.fromEntries(view.observations.map(o => [o, own[o] || ""]));
  state.row = 0;
  const lab = view.labelers;  // sent by the server only once this reader has decided
  for (const c of document.querySelectorAll(".lab")) c.hidden = !lab;
  $("#labeltable tbody").innerHTML = view.observations.map((o, i) =>
    `<tr data-row="${i}"><td>${esc(o)}</td><td class="you"></td>` +
    (lab ? `<td>${esc(lab.chexpert[o])}</td><td>${esc(lab.negbio[o])}</td>` : "") + "</tr>").join("");
  paintLabels();
}

function paintLabels() {
  const obs = state.view.observations;
  document.querySelectorAll("#labeltable tbody tr").forEach((tr, i) => {
    tr.classList.toggle("focus", i === state.row);
    tr.querySelector(".you").textContent = state.labels[obs[i]];
  });
}

async function decide(decision) {
  const view = state.view;
  if (!view) return;
  const body = {comment: $("#comment").value};
  if (view.kind === "labels") body.labels = state.labels;
  else {
    body.decision = decision;
    body.phi_kinds = [...document.querySelectorAll("input[name=kind]:checked")].map(b => b.value);
    if (view.kind === "image") body.box = viewer.mark;
    else body.span = selectedSpan($("#text")) || state.span;
  }
  try { await api(`/api/items/${view.item}/decision`, body); }
  catch (err) { status(`not saved: ${err.message}`); return; }
  status(`saved: ${view.kind === "labels" ? "labels" : decision}`);
  state.queue[state.pos].done = true;
  document.activeElement.blur();  // out of the comment box: the keys work on the next item
  await go(nextUndecided(state.pos));
}

async function undo() {
  const r = await api("/api/undo", {});
  if (r.item === null) { status("nothing to undo"); return; }
  const pos = state.queue.findIndex(q => q.item === r.item);
  state.queue[pos].done = false;
  state.cache.delete(r.item);
  status("undone");
  await go(pos);
}

function labelKey(e) {
  const obs = state.view.observations;
  const value = {"1": "1", "0": "0", "-": "-1", "Backspace": "", "Delete": ""}[e.key];
  if (e.key === "ArrowDown") state.row = Math.min(state.row + 1, obs.length - 1);
  else if (e.key === "ArrowUp") state.row = Math.max(state.row - 1, 0);
  else if (e.key === "Enter") { decide(null); return true; }
  else if (value !== undefined) {
    state.labels[obs[state.row]] = value;
    state.row = Math.min(state.row + 1, obs.length - 1);
  } else return false;
  paintLabels();
  return true;
}

function key(e) {
  if (e.target.matches("textarea, input[type=text]")) {
    if (e.key === "Escape") e.target.blur();  // back to the keys
    return;
  }
  if (e.key === "z" || e.key === "Z") { undo(); return; }
  if (e.key === "ArrowRight" && state.pos >= 0) { go((state.pos + 1) % state.queue.length); return; }
  if (e.key === "ArrowLeft" && state.pos >= 0) { go((state.pos - 1 + state.queue.length) % state.queue.length); return; }
  if (!state.view || state.pos < 0) return;
  if (state.view.kind === "labels") { if (labelKey(e)) e.preventDefault(); return; }
  const decision = {"1": "no-phi", "2": "phi", "3": "unsure"}[e.key];
  const kind = document.querySelector(`input[name=kind][data-key="${e.key}"]`);
  if (decision) decide(decision);
  else if (kind) kind.checked = !kind.checked;
  else if (state.view.kind === "image") {
    if (e.key === "b") { $("#showboxes").checked = !$("#showboxes").checked; viewer.toggleBoxes($("#showboxes").checked); }
    else if (e.key === "f") viewer.fit();
    else if (e.key === "o") viewer.one();
  }
}

async function start() {
  state.queue = await api("/api/queue");
  const hash = Number(location.hash.slice(1));
  const at = state.queue.findIndex(q => q.item === hash && !q.done);
  await go(at >= 0 ? at : nextUndecided(-1));
}

addEventListener("keydown", key);
document.querySelectorAll("[data-decision]").forEach(b => b.addEventListener("click", () => decide(b.dataset.decision)));
document.querySelectorAll("[data-preset]").forEach(b => b.addEventListener("click", () => viewer.window({preset: b.dataset.preset})));
$("#fit").addEventListener("click", () => viewer.fit());
$("#one").addEventListener("click", () => viewer.one());
$("#showboxes").addEventListener("change", e => viewer.toggleBoxes(e.target.checked));
$("#undo").addEventListener("click", undo);
$("#prev").addEventListener("click", () => go((state.pos - 1 + state.queue.length) % state.queue.length));
$("#next").addEventListener("click", () => go((state.pos + 1) % state.queue.length));
start().catch(err => status(err.message));
