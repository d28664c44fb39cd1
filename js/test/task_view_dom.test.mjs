// render() of js/task_view.js and js/task_results.js against a small fake DOM and a fake model:
// what is shown for the synced state, and the messages clicks send (run: node --test js/test/).
import { afterEach, beforeEach, test } from "node:test";
import assert from "node:assert/strict";

import resultsModule from "../task_results.js";
import viewModule from "../task_view.js";

// ---- a fake document: just what the modules use ---------------------------------------------------
class FakeElement {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.children = [];
    this.parentNode = null;
    this.attributes = new Map();
    this.listeners = new Map();
    this.dataset = {};
    this.style = {};
    this.hidden = false;
    this.disabled = false;
    this.value = "";
    this._text = "";
    this.className = "";
  }
  get classList() {
    const list = () => this.className.split(/\s+/).filter(Boolean);
    return {
      contains: (c) => list().includes(c),
      toggle: (c, on) => {
        const want = on === undefined ? !list().includes(c) : Boolean(on);
        this.className = [...list().filter((x) => x !== c), ...(want ? [c] : [])].join(" ");
      },
    };
  }
  setAttribute(k, v) { this.attributes.set(k, String(v)); }
  getAttribute(k) { return this.attributes.get(k) ?? null; }
  appendChild(c) { c.remove(); c.parentNode = this; this.children.push(c); return c; }
  append(...cs) { for (const c of cs) this.appendChild(c); }
  replaceChildren(...cs) { for (const c of [...this.children]) c.remove(); this.append(...cs); }
  remove() {
    if (this.parentNode) this.parentNode.children.splice(this.parentNode.children.indexOf(this), 1);
    this.parentNode = null;
  }
  set textContent(v) { for (const c of [...this.children]) c.remove(); this._text = String(v); }
  get textContent() { return this._text + this.children.map((c) => c.textContent).join(""); }
  focus() { document.activeElement = this; }
  addEventListener(type, fn) { (this.listeners.get(type) ?? this.listeners.set(type, []).get(type)).push(fn); }
  removeEventListener(type, fn) {
    const list = this.listeners.get(type) ?? [];
    if (list.includes(fn)) list.splice(list.indexOf(fn), 1);
  }
  click() { if (!this.disabled) for (const fn of [...(this.listeners.get("click") ?? [])]) fn({ target: this }); }
  findAll(cls) {
    const out = [];
    for (const c of this.children) {
      if (c.classList.contains(cls)) out.push(c);
      out.push(...c.findAll(cls));
    }
    return out;
  }
  find(cls) { return this.findAll(cls)[0] ?? null; }
  listenerCount() {
    let n = [...this.listeners.values()].reduce((s, l) => s + l.length, 0);
    for (const c of this.children) n += c.listenerCount();
    return n;
  }
}

class FakeModel {
  constructor(state) { this.state = { ...state }; this.handlers = new Map(); this.sent = []; }
  get(k) { return this.state[k]; }
  set(k, v) { this.state[k] = v; for (const fn of this.handlers.get(`change:${k}`) ?? []) fn(); }
  on(e, fn) { (this.handlers.get(e) ?? this.handlers.set(e, []).get(e)).push(fn); }
  off(e, fn) { const l = this.handlers.get(e) ?? []; if (l.includes(fn)) l.splice(l.indexOf(fn), 1); }
  send(msg) { this.sent.push(msg); }
  handlerCount() { return [...this.handlers.values()].reduce((s, l) => s + l.length, 0); }
}

const ACTIONS = ["pause", "resume", "cancel", "rerun", "add_time", "refit", "delete"];
function actions(enabled, pending = null) {
  return ACTIONS.map((name) => ({ name, label: name, enabled: enabled.includes(name), pending: name === pending,
    destructive: ["cancel", "rerun", "delete"].includes(name) }));
}

function viewState(overrides = {}) {
  return {
    header: { id: 7, name: "iris-run", state: "RUNNING", dataset: "iris", problem_type: "classification",
      metric: "log_loss", direction: "minimize", best_score: 0.123456 },
    budget: { elapsed: 10, budget: 60, fraction: 0.16, eta: 50, running: true, fetched_at: Date.now() },
    actions: actions(["pause", "cancel"]), confirming: "", notes: "hello", notes_status: "",
    connection: { ok: true, updated_at: Date.now(), message: "" }, message: {}, pull: "off", version: 3,
    ...overrides,
  };
}

let el;
let cleanup;
beforeEach(() => {
  globalThis.document = { createElement: (tag) => new FakeElement(tag), activeElement: null };
  el = new FakeElement("div");
});
afterEach(() => { if (cleanup) cleanup(); cleanup = null; });

test("the header shows the task, its state badge, metric direction and best score", () => {
  const model = new FakeModel(viewState());
  cleanup = viewModule.render({ model, el });
  assert.equal(el.find("ff-name").textContent, "iris-run (#7)");
  const badge = el.find("ff-badge");
  assert.equal(badge.textContent, "RUNNING");
  assert.ok(badge.classList.contains("ff-state-RUNNING"));
  assert.equal(el.find("ff-meta").textContent, "iris · classification · log_loss ↓");
  assert.equal(el.find("ff-best").textContent, "best 0.1235");
  assert.match(el.find("ff-budget-text").textContent, /^10 s \/ 1 min 00 s · ETA 50 s$/);
  model.set("header", { ...model.get("header"), state: "PAUSED" });
  assert.equal(el.find("ff-badge").textContent, "PAUSED");
});

test("buttons follow the actions trait and a click sends one action message", () => {
  const model = new FakeModel(viewState());
  cleanup = viewModule.render({ model, el });
  const pause = el.find("ff-action-pause");
  assert.equal(pause.disabled, false);
  assert.equal(el.find("ff-action-resume").disabled, true);
  pause.click();
  assert.deepEqual(model.sent, [{ type: "action", name: "pause" }]);
  assert.equal(pause.disabled, true, "disabled at once, until the kernel answers");
  model.set("actions", actions([], "pause"));
  assert.equal(el.find("ff-action-pause").textContent, "Pausing…");
  assert.equal(el.findAll("ff-action").length, ACTIONS.length, "buttons are reused, not duplicated");
});

test("a destructive action shows the confirm row; yes confirms, keep dismisses", () => {
  const model = new FakeModel(viewState());
  cleanup = viewModule.render({ model, el });
  assert.equal(el.find("ff-confirm").hidden, true);
  model.set("confirming", "cancel");
  assert.equal(el.find("ff-confirm").hidden, false);
  assert.match(el.find("ff-confirm").textContent, /cancel task “iris-run”\?/);
  assert.equal(document.activeElement, el.find("ff-confirm-no"), "Enter keeps the task");
  el.find("ff-confirm-yes").click();
  el.find("ff-confirm-no").click();
  assert.deepEqual(model.sent, [{ type: "confirm" }, { type: "dismiss" }]);
});

test("add time asks for the seconds first", () => {
  const model = new FakeModel(viewState({ actions: actions(["add_time"]) }));
  cleanup = viewModule.render({ model, el });
  el.find("ff-action-add_time").click();
  assert.deepEqual(model.sent, []);
  el.find("ff-input-add_time").value = "120";
  el.find("ff-input-ok").click();
  assert.deepEqual(model.sent, [{ type: "action", name: "add_time", seconds: 120 }]);
});

test("an unreachable service shows the reconnecting banner with a retry button", () => {
  const model = new FakeModel(viewState());
  cleanup = viewModule.render({ model, el });
  assert.equal(el.find("ff-banner").hidden, true);
  model.set("connection", { ok: false, updated_at: Date.now() - 5000, message: "connection refused" });
  assert.equal(el.find("ff-banner").hidden, false);
  assert.match(el.find("ff-banner-text").textContent, /Reconnecting.*connection refused/);
  assert.match(el.find("ff-fresh").textContent, /updated 5 s ago/);
  el.find("ff-retry").click();
  assert.deepEqual(model.sent, [{ type: "retry" }]);
});

test("notes: typed text is kept until saved, and saving sends it", () => {
  const model = new FakeModel(viewState());
  cleanup = viewModule.render({ model, el });
  const area = el.find("ff-notes-input");
  assert.equal(area.value, "hello");
  area.value = "better";
  for (const fn of area.listeners.get("input")) fn({});
  model.set("notes", "from the service");
  assert.equal(area.value, "better", "the user's edit is not overwritten");
  el.find("ff-notes-save").click();
  assert.deepEqual(model.sent, [{ type: "save_notes", notes: "better" }]);
});

test("pull mode asks for the state at once; no pulls when off", () => {
  const pulling = new FakeModel(viewState({ pull: "on" }));
  const stop = viewModule.render({ model: pulling, el });
  assert.deepEqual(pulling.sent, [{ type: "pull", version: -1 }]);
  stop();
  const quiet = new FakeModel(viewState({ pull: "off" }));
  cleanup = viewModule.render({ model: quiet, el: new FakeElement("div") });
  assert.deepEqual(quiet.sent, []);
});

test("no task yet (form mode): the view hides itself", () => {
  const model = new FakeModel(viewState({ header: {} }));
  cleanup = viewModule.render({ model, el });
  assert.equal(el.find("ff-tv").hidden, true);
});

test("cleanup removes every listener and the DOM", () => {
  const model = new FakeModel(viewState());
  const stop = viewModule.render({ model, el });
  assert.ok(model.handlerCount() > 0);
  stop();
  assert.equal(model.handlerCount(), 0);
  assert.equal(el.find("ff-tv"), null);
});

test("the results module draws the leaderboard and the confusion matrix", () => {
  const model = new FakeModel({ results: {} });
  cleanup = resultsModule.render({ model, el });
  assert.equal(el.find("ff-leaderboard"), null);
  model.set("results", {
    leaderboard: { columns: ["id", "estimator", "score"], rows: [[3, "logreg", 0.912345], [1, "rf", 0.9]] },
    confusion: { labels: ["a", "b"], matrix: [[5, 1], [0, 4]] },
  });
  const board = el.find("ff-leaderboard");
  assert.match(board.textContent, /logreg0\.9123/);
  assert.equal(el.find("ff-confusion").findAll("ff-cm-cell").length, 4);
  const stop = cleanup;
  cleanup = null;
  stop();
  assert.equal(model.handlerCount(), 0);
});
