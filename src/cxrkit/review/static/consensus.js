// cxrkit review: the consensus queue. Both readers' decisions side by side, a verdict and a reason.
// Keys: 1 no PHI, 2 PHI (images and reports), Enter saves; ↑↓ move in the queue.
"use strict";

const $ = s => document.querySelector(s);
const state = {queue: [], pos: -1, verdict: null, labels: null};
const viewer = new Viewer(document);

function status(text) { $("#status").textContent = text; }

function listQueue() {
  $("#cqueue").innerHTML = state.queue.map((q, i) =>
    `<li data-pos="${i}" class="${i === state.pos ? "focus" : ""} ${q.verdict ? "settled" : ""}">` +
    `item ${q.item} (${q.kind})${q.verdict ? ": " + esc(q.verdict.verdict.slice(0, 12)) : ""}</li>`).join("");
  for (const li of document.querySelectorAll("#cqueue li")) li.addEventListener("click", () => show(Number(li.dataset.pos)));
}

function bothTable(q, view) {
  const [a, b] = q.decisions;
  if (q.kind !== "labels") {
    const row = d => `<tr><td>${esc(d.reader)}</td><td>${esc(d.decision)}</td><td>${esc(d.phi_kinds.join(", "))}</td>` +
      `<td>${esc(d.box ? "box " + d.box.join(",") : d.span ? `“${view.text.slice(d.span[0], d.span[1])}”` : "")}</td>` +
      `<td>${esc(d.comment)}</td></tr>`;
    return "<tr><th>reader</th><th>decision</th><th>kinds</th><th>mark</th><th>comment</th></tr>" + row(a) + row(b);
  }
  state.labels = {};
  const rows = view.observations.map(o => {
    const x = a.labels[o] || "", y = b.labels[o] || "";
    state.labels[o] = x === y ? x : "";
    const pick = ["1", "0", "-1", ""].map(v => `<option ${v === state.labels[o] ? "selected" : ""} value="${v}">${v || "blank"}</option>`).join("");
    return `<tr class="${x === y ? "" : "differ"}"><td>${esc(o)}</td><td>${esc(x)}</td><td>${esc(y)}</td>` +
      `<td><select data-obs="${esc(o)}">${pick}</select></td></tr>`;
  });
  return `<tr><th>observation</th><th>${esc(a.reader)}</th><th>${esc(b.reader)}</th><th>verdict</th></tr>` + rows.join("");
}

async function show(pos) {
  state.pos = pos; state.verdict = null;
  const q = state.queue[pos];
  const view = await api(`/api/items/${q.item}`);
  $("#citem").textContent = `item ${q.item}: ${view.kind} ${view.item_id}`;
  $("#viewport").hidden = view.kind !== "image"; $("#text").hidden = view.kind === "image";
  if (view.kind === "image") {
    viewer.others = q.decisions.filter(d => d.box).map(d => d.box);  // both readers' boxes
    viewer.show(view);
  } else showText($("#text"), view.text);
  $("#both").innerHTML = bothTable(q, view);
  for (const s of document.querySelectorAll("#both select")) s.addEventListener("change", () => { state.labels[s.dataset.obs] = s.value; });
  $("#cverdicts").hidden = view.kind === "labels";
  $("#reason").value = q.verdict ? q.verdict.reason : "";
  paint(); listQueue();
}

function paint() {
  for (const b of document.querySelectorAll("[data-verdict]")) b.classList.toggle("chosen", b.dataset.verdict === state.verdict);
}

async function save() {
  const q = state.queue[state.pos];
  if (!q) return;
  const verdict = q.kind === "labels" ? state.labels : state.verdict;
  if (!verdict) { status("choose a verdict (1 or 2)"); return; }
  try { await api(`/api/items/${q.item}/verdict`, {verdict: verdict, reason: $("#reason").value}); }
  catch (err) { status(`not saved: ${err.message}`); return; }
  status("verdict saved");
  document.activeElement.blur();  // the keys work again on the next item
  await load(state.pos + 1);
}

async function load(pos) {
  state.queue = await api("/api/consensus");
  listQueue();
  if (!state.queue.length) { status("the consensus queue is empty"); return; }
  const open = state.queue.findIndex((q, i) => i >= (pos || 0) && !q.verdict);
  await show(open >= 0 ? open : Math.min(pos || 0, state.queue.length - 1));
}

addEventListener("keydown", e => {
  if (e.key === "Enter") { e.preventDefault(); save(); return; }
  if (e.target.matches("input, textarea, select")) return;
  const v = {"1": "no-phi", "2": "phi"}[e.key];
  if (v) { state.verdict = v; paint(); }
  else if (e.key === "ArrowDown" && state.pos < state.queue.length - 1) show(state.pos + 1);
  else if (e.key === "ArrowUp" && state.pos > 0) show(state.pos - 1);
});
document.querySelectorAll("[data-verdict]").forEach(b => b.addEventListener("click", () => { state.verdict = b.dataset.verdict; paint(); }));
$("#save").addEventListener("click", save);
load(0).catch(err => status(err.message));
