// Tests of the task table's pure logic and DOM builders: `node --test js/test/`.
// No dependencies: the DOM builders run against the small fake document below.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import widget, {
  actionRequest,
  actionsElement,
  applyPage,
  applyPatch,
  ariaSort,
  cellText,
  emptyState,
  filterRequest,
  formatDuration,
  formatScore,
  moveFocus,
  pageInfo,
  pageRequest,
  rowElement,
  rowKeyAction,
  searchRequest,
  selectPage,
  sortRequest,
  sparklineElement,
  sparklinePath,
  toggleSelection,
} from "../task_table.js";

// ---- a fake document: just what the module uses --------------------------------------------------
// Selectors: "tag", ".cls", "tag.cls", "tag[attr]", "tag.cls[attr]" (enough for the module's own).
function matches(el, selector) {
  const m = /^([a-z]*)((?:\.[\w-]+)*)(?:\[([\w-]+)\])?$/i.exec(selector.trim());
  if (!m || !(el instanceof FakeElement)) return false;
  const [, tag, classes, attr] = m;
  if (tag && el.tagName !== tag.toUpperCase()) return false;
  for (const c of classes.split(".").filter(Boolean)) if (!el.classList.contains(c)) return false;
  if (attr && el.getAttribute(attr) === null) return false;
  return true;
}

class FakeElement {
  constructor(tag, doc, ns = null) {
    this.tagName = tag.toUpperCase();
    this.ownerDocument = doc;
    this.namespaceURI = ns;
    this.attributes = new Map();
    this.children = [];
    this.parentNode = null;
    this.listeners = new Map();
    this._text = "";
    this.checked = false;
    this.disabled = false;
    this.value = "";
  }
  setAttribute(k, v) { this.attributes.set(k, String(v)); }
  getAttribute(k) { return this.attributes.has(k) ? this.attributes.get(k) : null; }
  get className() { return this.getAttribute("class") ?? ""; }
  set className(v) { this.setAttribute("class", v); }
  get classList() {
    const list = () => this.className.split(/\s+/).filter(Boolean);
    return {
      contains: (c) => list().includes(c),
      toggle: (c, on) => {
        const has = list().includes(c);
        const want = on === undefined ? !has : !!on;
        if (want && !has) this.className = [...list(), c].join(" ");
        if (!want && has) this.className = list().filter((x) => x !== c).join(" ");
      },
    };
  }
  appendChild(c) {
    if (c.parentNode) c.parentNode.children.splice(c.parentNode.children.indexOf(c), 1);
    c.parentNode = this;
    this.children.push(c);
    return c;
  }
  append(...cs) { for (const c of cs) this.appendChild(c); }
  remove() {
    if (this.parentNode) this.parentNode.children.splice(this.parentNode.children.indexOf(this), 1);
    this.parentNode = null;
  }
  replaceWith(other) {
    const parent = this.parentNode;
    if (!parent) return;
    if (other.parentNode) other.remove();
    parent.children.splice(parent.children.indexOf(this), 1, other);
    other.parentNode = parent;
    this.parentNode = null;
  }
  contains(other) {
    for (let n = other; n; n = n.parentNode) if (n === this) return true;
    return false;
  }
  closest(selector) {
    for (let n = this; n instanceof FakeElement; n = n.parentNode) if (matches(n, selector)) return n;
    return null;
  }
  querySelectorAll(selector) {
    const out = [];
    for (const c of this.children) {
      if (matches(c, selector)) out.push(c);
      out.push(...c.querySelectorAll(selector));
    }
    return out;
  }
  querySelector(selector) { return this.querySelectorAll(selector)[0] ?? null; }
  findAll(cls) { return this.querySelectorAll(`.${cls}`); }
  find(cls) { return this.querySelector(`.${cls}`); }
  set textContent(v) { for (const c of this.children) c.parentNode = null; this.children = []; this._text = String(v); }
  get textContent() { return this._text + this.children.map((c) => c.textContent).join(""); }
  focus() { this.ownerDocument.activeElement = this; }
  addEventListener(type, fn) { (this.listeners.get(type) ?? this.listeners.set(type, []).get(type)).push(fn); }
  removeEventListener(type, fn) { const l = this.listeners.get(type) ?? []; if (l.includes(fn)) l.splice(l.indexOf(fn), 1); }
  /** Bubble a fake event from this element up; returns it (check .defaultPrevented). */
  dispatch(type, props = {}) {
    const event = { type, target: this, defaultPrevented: false, stopped: false, ...props,
      preventDefault() { this.defaultPrevented = true; }, stopPropagation() { this.stopped = true; } };
    for (let n = this; n && !event.stopped; n = n.parentNode) for (const fn of [...(n.listeners.get(type) ?? [])]) fn(event);
    return event;
  }
  listenerCount() {
    let n = [...this.listeners.values()].reduce((a, l) => a + l.length, 0);
    for (const c of this.children) n += c.listenerCount();
    return n;
  }
}

class FakeDocument {
  constructor() { this.activeElement = null; }
  createElement(tag) { return new FakeElement(tag, this); }
  createElementNS(ns, tag) { return new FakeElement(tag, this, ns); }
  contains(el) { for (let n = el; n; n = n.parentNode) if (n === this.body) return true; return false; }
}
const doc = new FakeDocument();

/** A fake anywidget model: traits, change events, custom messages both ways. */
class FakeModel {
  constructor(traits) {
    this.traits = { ...traits };
    this.handlers = new Map();
    this.sent = [];
  }
  get(name) { return this.traits[name]; }
  set(name, value) { this.traits[name] = value; for (const fn of this.handlers.get(`change:${name}`) ?? []) fn(); }
  on(event, fn) { (this.handlers.get(event) ?? this.handlers.set(event, []).get(event)).push(fn); }
  off(event, fn) { const l = this.handlers.get(event) ?? []; if (l.includes(fn)) l.splice(l.indexOf(fn), 1); }
  send(msg) { this.sent.push(msg); }
  receive(msg) { for (const fn of [...(this.handlers.get("msg:custom") ?? [])]) fn(msg, []); }
  handlerCount() { return [...this.handlers.values()].reduce((a, l) => a + l.length, 0); }
}

const COLUMNS = [
  { key: "id", label: "ID", sortable: true },
  { key: "name", label: "Name", sortable: true },
  { key: "state", label: "State", sortable: true },
  { key: "best_score", label: "Best", sortable: true },
  { key: "spark", label: "Progress", sortable: false },
  { key: "actions", label: "Actions", sortable: false },
];
const row = (id, extra = {}) => ({ id, name: `t${id}`, state: "RUNNING", actions: ["pause", "cancel"], spark: [], ...extra });

describe("module shape", () => {
  it("exports an anywidget default with render", () => {
    assert.equal(typeof widget.render, "function");
  });
});

describe("applyPage / applyPatch", () => {
  const page = applyPage(emptyState(), { v: 1, rows: [row(1), row(2), row(3)] });

  it("a page replaces rows and order", () => {
    assert.deepEqual(page.order, [1, 2, 3]);
    assert.equal(page.v, 1);
    assert.equal(page.rows.get(2).name, "t2");
  });

  it("a patch changes only the rows it carries and keeps the order", () => {
    const { state, stale, changed } = applyPatch(page, { v: 2, rows: [row(2, { state: "PAUSED" })], removed: [] });
    assert.equal(stale, false);
    assert.deepEqual(changed, [2]);
    assert.deepEqual(state.order, [1, 2, 3]);
    assert.equal(state.rows.get(2).state, "PAUSED");
    assert.equal(state.rows.get(1), page.rows.get(1)); // untouched rows are the same objects
    assert.equal(page.rows.get(2).state, "RUNNING"); // the old state is not mutated
  });

  it("a patch of a shown row carries only the changed fields; null clears one", () => {
    const pending = applyPatch(page, { v: 2, rows: [{ id: 1, pending: "pause", actions: [] }], removed: [] }).state;
    assert.deepEqual(pending.rows.get(1), { ...row(1), pending: "pause", actions: [] });
    const done = applyPatch(pending, { v: 3, rows: [{ id: 1, state: "PAUSED", pending: null, actions: ["resume"] }] }).state;
    assert.equal(done.rows.get(1).name, "t1");
    assert.equal(done.rows.get(1).state, "PAUSED");
    assert.equal(actionRequest(done.rows.get(1), "resume").action, "resume");
  });

  it("removes ids and applies a new order", () => {
    const { state } = applyPatch(page, { v: 2, rows: [row(4)], removed: [1], order: [4, 3, 2] });
    assert.deepEqual(state.order, [4, 3, 2]);
    assert.equal(state.rows.has(1), false);
    assert.equal(state.rows.size, 3);
  });

  it("without an order, appends new rows and drops removed ones", () => {
    const { state } = applyPatch(page, { v: 2, rows: [row(9)], removed: [2] });
    assert.deepEqual(state.order, [1, 3, 9]);
  });

  it("a patch that skips a version is stale and not applied", () => {
    const result = applyPatch(page, { v: 3, rows: [row(2, { state: "PAUSED" })], removed: [] });
    assert.equal(result.stale, true);
    assert.equal(result.state, page);
  });
});

describe("messages", () => {
  it("sort: a new column starts ascending, a numeric one descending, the current one flips", () => {
    assert.deepEqual(sortRequest({ column: "creation_date", direction: "desc" }, "name"),
      { type: "sort", column: "name", direction: "asc" });
    assert.deepEqual(sortRequest({ column: "name", direction: "asc" }, "best_score"),
      { type: "sort", column: "best_score", direction: "desc" });
    assert.equal(sortRequest({ column: "name", direction: "asc" }, "name").direction, "desc");
    assert.equal(sortRequest({ column: "name", direction: "desc" }, "name").direction, "asc");
  });

  it("search trims, filter maps '' to all", () => {
    assert.deepEqual(searchRequest("  iris "), { type: "search", term: "iris" });
    assert.deepEqual(filterRequest("state", "RUNNING"), { type: "filter", state: ["RUNNING"] });
    assert.deepEqual(filterRequest("problem_type", ""), { type: "filter", problem_type: [] });
  });

  it("pager stays within the pages", () => {
    assert.deepEqual(pageRequest(0, 20, 53, 1), { type: "page", page: 1 });
    assert.equal(pageRequest(0, 20, 53, -1), null);
    assert.equal(pageRequest(2, 20, 53, 1), null);
    assert.equal(pageRequest(0, 20, 0, 1), null);
    assert.equal(pageInfo(1, 20, 53, 20), "21–40 of 53");
    assert.equal(pageInfo(0, 20, 0, 0), "0 of 0");
  });

  it("actions only where allowed; delete only when confirmed; nothing while pending", () => {
    assert.deepEqual(actionRequest(row(1), "pause"), { type: "action", id: 1, action: "pause" });
    assert.equal(actionRequest(row(1), "resume"), null);
    const done = row(2, { state: "COMPLETED", actions: ["delete"] });
    assert.equal(actionRequest(done, "delete"), null);
    assert.deepEqual(actionRequest(done, "delete", true), { type: "action", id: 2, action: "delete", confirmed: true });
    assert.equal(actionRequest(row(3, { pending: "pause" }), "cancel"), null);
  });

  it("the page's box selects the whole page, or clears it when all are selected", () => {
    assert.deepEqual(selectPage([9], [1, 2]), [9, 1, 2]);
    assert.deepEqual(selectPage([1, 9], [1, 2]), [1, 9, 2]);
    assert.deepEqual(selectPage([1, 2, 9], [1, 2]), [9]);
    assert.deepEqual(selectPage([], []), []);
  });

  it("selection toggles", () => {
    assert.deepEqual(toggleSelection([1, 2], 3), [1, 2, 3]);
    assert.deepEqual(toggleSelection([1, 2, 3], 2), [1, 3]);
  });

  it("aria-sort names the direction of the sorted column only", () => {
    const sort = { column: "name", direction: "asc" };
    assert.equal(ariaSort(sort, "name"), "ascending");
    assert.equal(ariaSort({ column: "name", direction: "desc" }, "name"), "descending");
    assert.equal(ariaSort(sort, "state"), "none");
  });
});

describe("keyboard", () => {
  const cases = [
    [0, "ArrowDown", 5, 1], [4, "ArrowDown", 5, 4], [3, "ArrowUp", 5, 2], [0, "ArrowUp", 5, 0],
    [-1, "ArrowDown", 5, 0], [-1, "ArrowUp", 5, 0], [2, "Home", 5, 0], [2, "End", 5, 4],
    [0, "PageDown", 25, 10], [22, "PageDown", 25, 24], [12, "PageUp", 25, 2], [1, "a", 5, null],
    [0, "ArrowDown", 0, null],
  ];
  for (const [from, key, count, want] of cases) {
    it(`${key} from ${from} of ${count} -> ${want}`, () => assert.equal(moveFocus(from, key, count), want));
  }
  it("Enter opens, Space selects", () => {
    assert.equal(rowKeyAction("Enter"), "open");
    assert.equal(rowKeyAction(" "), "select");
    assert.equal(rowKeyAction("x"), null);
  });
});

describe("formatting", () => {
  it("scores and durations", () => {
    assert.equal(formatScore(0.912345), "0.9123");
    assert.equal(formatScore(null), "–");
    assert.equal(formatDuration(42.4), "42s");
    assert.equal(formatDuration(185), "3m 05s");
    assert.equal(formatDuration(7620), "2h 07m");
    assert.equal(formatDuration(undefined), "–");
  });
  it("cells", () => {
    assert.equal(cellText({ creation_date: "2026-12-04T15:00:12" }, "creation_date"), "2026-12-04 15:00");
    assert.equal(cellText({ problem_type: "anomaly_detection" }, "problem_type"), "anomaly detection");
    assert.equal(cellText({ name: null }, "name"), "–");
  });
});

describe("sparkline", () => {
  it("spans the box, best at the top", () => {
    const d = sparklinePath([0.5, 0.7, 0.9], 80, 20);
    assert.equal(d, "M1.5,18.5L40,10L78.5,1.5");
  });
  it("flat and single-point curves sit in the middle; no values draw nothing", () => {
    assert.equal(sparklinePath([0.8, 0.8], 80, 20), "M1.5,10L78.5,10");
    assert.match(sparklinePath([0.8], 80, 20), /^M38,10L42,10$/);
    assert.equal(sparklinePath([], 80, 20), "");
    assert.equal(sparklinePath([null, Number.NaN], 80, 20), "");
  });
  it("is an SVG image with a readable label", () => {
    const svg = sparklineElement(doc, [0.5, 0.9], "RUNNING");
    assert.equal(svg.namespaceURI, "http://www.w3.org/2000/svg");
    assert.equal(svg.getAttribute("role"), "img");
    assert.match(svg.getAttribute("aria-label"), /from 0.5 to 0.9 over 2 points/);
    assert.equal(svg.children.length, 1);
    assert.equal(sparklineElement(doc, [], "QUEUED").children.length, 0);
  });
});

describe("row DOM", () => {
  const flags = { selected: false, opened: false, confirming: false, focused: false };

  it("is an ARIA row of gridcells with stable classes", () => {
    const tr = rowElement(doc, row(7, { best_score: 0.93 }), COLUMNS, { ...flags, selected: true, focused: true });
    assert.equal(tr.getAttribute("role"), "row");
    assert.equal(tr.getAttribute("data-id"), "7");
    assert.equal(tr.getAttribute("aria-selected"), "true");
    assert.equal(tr.getAttribute("tabindex"), "0");
    assert.ok(tr.classList.contains("ff-row"));
    assert.equal(tr.children.length, COLUMNS.length + 1);
    assert.ok(tr.children.every((td) => td.getAttribute("role") === "gridcell"));
    assert.equal(tr.find("ff-cell-best_score").textContent, "0.93");
    assert.equal(tr.find("ff-select").checked, true);
  });

  it("shows one button per allowed action", () => {
    const box = actionsElement(doc, row(1), false);
    assert.deepEqual(box.children.map((b) => b.getAttribute("data-action")), ["pause", "cancel"]);
    const done = actionsElement(doc, row(2, { state: "COMPLETED", actions: ["delete"] }), false);
    assert.deepEqual(done.children.map((b) => b.getAttribute("data-action")), ["delete"]);
  });

  it("asks before deleting, and shows a pending action instead of buttons", () => {
    const confirming = actionsElement(doc, row(2, { state: "COMPLETED", actions: ["delete"] }), true);
    assert.ok(confirming.find("ff-confirm-delete"));
    assert.ok(confirming.find("ff-keep"));
    const pending = actionsElement(doc, row(3, { pending: "pause", actions: [] }), false);
    assert.equal(pending.findAll("ff-btn").length, 0);
    assert.match(pending.textContent, /pause pending/);
  });
});

describe("render", () => {
  const TRAITS = {
    columns: COLUMNS, choices: { state: ["RUNNING", "PAUSED", "COMPLETED"], problem_type: ["classification"] },
    search: "", filters: { state: [], problem_type: [] }, sort: { column: "id", direction: "desc" },
    page: 0, page_size: 20, total: 3, selected: [], opened: null, loading: false, status: "", status_kind: "",
    pull_interval: 0,
  };
  const mount = (traits = {}) => {
    const model = new FakeModel({ ...TRAITS, ...traits });
    doc.body = doc.createElement("body");
    const el = doc.createElement("div");
    doc.body.appendChild(el);
    const cleanup = widget.render({ model, el });
    model.receive({ type: "page", v: 1, rows: [row(1), row(2, { state: "PAUSED", actions: ["resume", "cancel"] }), row(3, { state: "COMPLETED", actions: ["delete"] })] });
    model.sent.length = 0;
    const rowEl = (id) => el.querySelectorAll("tr.ff-row").find((tr) => tr.getAttribute("data-id") === String(id));
    return { model, el, cleanup, rowEl, rows: () => el.querySelectorAll("tr.ff-row") };
  };

  it("asks for the page when it starts, then draws an ARIA grid", () => {
    const model = new FakeModel(TRAITS);
    const el = doc.createElement("div");
    widget.render({ model, el });
    assert.deepEqual(model.sent, [{ type: "pull" }]);
    assert.equal(el.querySelector("table").getAttribute("role"), "grid");
    assert.ok(el.querySelector(".ff-task-table"));
    assert.equal(el.querySelector("th.ff-head-id").getAttribute("aria-sort"), "descending");
    assert.equal(el.querySelector("th.ff-head-name").getAttribute("aria-sort"), "none");
    assert.ok(el.querySelector("button.ff-sort-name"));
  });

  it("draws a page, and a patch rebuilds only the changed row", () => {
    const { model, el, rowEl, rows } = mount();
    assert.deepEqual(rows().map((tr) => tr.getAttribute("data-id")), ["1", "2", "3"]);
    assert.equal(el.querySelector(".ff-page-info").textContent, "1–3 of 3");
    const [one, two, three] = [rowEl(1), rowEl(2), rowEl(3)];
    model.receive({ type: "patch", v: 2, rows: [row(2, { state: "RUNNING" })], removed: [] });
    assert.equal(rowEl(1), one);
    assert.equal(rowEl(3), three);
    assert.notEqual(rowEl(2), two);
    assert.equal(rowEl(2).querySelector(".ff-badge").textContent, "RUNNING");
    assert.deepEqual(model.sent, []);
  });

  it("applies removals and a new order, and asks for the page after a missed patch", () => {
    const { model, rows } = mount();
    model.receive({ type: "patch", v: 2, rows: [row(4)], removed: [1], order: [4, 3, 2] });
    assert.deepEqual(rows().map((tr) => tr.getAttribute("data-id")), ["4", "3", "2"]);
    model.receive({ type: "patch", v: 9, rows: [row(5)], removed: [] });
    assert.deepEqual(model.sent, [{ type: "pull" }]);
    assert.equal(rows().length, 3);
  });

  it("sends sort, search, filter and page messages", () => {
    const { model, el } = mount({ total: 45 });
    el.querySelector("button.ff-sort-name").dispatch("click");
    const search = el.querySelector("input.ff-search");
    search.value = " iris ";
    search.dispatch("keydown", { key: "Enter" });
    const state = el.querySelector("select.ff-filter-state");
    state.value = "PAUSED";
    state.dispatch("change");
    el.querySelector("button.ff-next").dispatch("click");
    assert.deepEqual(model.sent, [
      { type: "sort", column: "name", direction: "asc" },
      { type: "search", term: "iris" },
      { type: "filter", state: ["PAUSED"] },
      { type: "page", page: 1 },
    ]);
    assert.equal(el.querySelector("button.ff-prev").disabled, true);
  });

  it("moves between rows with the arrow keys; Enter opens, Space selects", () => {
    const { model, rowEl } = mount();
    assert.equal(rowEl(1).getAttribute("tabindex"), "0");
    const down = rowEl(1).dispatch("keydown", { key: "ArrowDown" });
    assert.equal(down.defaultPrevented, true);
    assert.equal(doc.activeElement, rowEl(2));
    assert.equal(rowEl(2).getAttribute("tabindex"), "0");
    assert.equal(rowEl(1).getAttribute("tabindex"), "-1");
    rowEl(2).dispatch("keydown", { key: "End" });
    assert.equal(doc.activeElement, rowEl(3));
    rowEl(3).dispatch("keydown", { key: "Enter" });
    rowEl(3).dispatch("keydown", { key: " " });
    assert.deepEqual(model.sent, [{ type: "open", id: 3 }, { type: "select", ids: [3] }]);
  });

  it("keeps focus on a row that a patch rebuilds", () => {
    const { model, rowEl } = mount();
    rowEl(1).dispatch("keydown", { key: "ArrowDown" });
    model.receive({ type: "patch", v: 2, rows: [row(2, { state: "RUNNING" })], removed: [] });
    assert.equal(doc.activeElement, rowEl(2));
  });

  it("a click opens the row; action buttons act; delete asks first", () => {
    const { model, rowEl } = mount();
    rowEl(1).querySelector(".ff-cell-name").dispatch("click");
    rowEl(1).querySelector("button.ff-action-pause").dispatch("click");
    assert.deepEqual(model.sent, [{ type: "open", id: 1 }, { type: "action", id: 1, action: "pause" }]);
    model.sent.length = 0;
    rowEl(3).querySelector("button.ff-action-delete").dispatch("click");
    assert.deepEqual(model.sent, []); // nothing sent before the confirmation
    assert.ok(rowEl(3).querySelector("button.ff-keep"));
    rowEl(3).querySelector("button.ff-keep").dispatch("click");
    assert.equal(rowEl(3).querySelector("button.ff-confirm-delete"), null);
    rowEl(3).querySelector("button.ff-action-delete").dispatch("click");
    rowEl(3).querySelector("button.ff-confirm-delete").dispatch("click");
    assert.deepEqual(model.sent, [{ type: "action", id: 3, action: "delete", confirmed: true }]);
  });

  it("shows the selection and the opened row from the traits, and compares the selection", () => {
    const { model, el, rowEl } = mount();
    const compare = el.querySelector("button.ff-compare");
    assert.equal(compare.disabled, true);
    model.set("selected", [1, 3]);
    assert.equal(rowEl(1).getAttribute("aria-selected"), "true");
    assert.equal(rowEl(2).getAttribute("aria-selected"), "false");
    assert.equal(rowEl(3).querySelector("input.ff-select").checked, true);
    assert.equal(compare.disabled, false);
    compare.dispatch("click");
    assert.deepEqual(model.sent, [{ type: "compare", ids: [1, 3] }]);
    const all = el.querySelector("input.ff-select-all");
    assert.equal(all.checked, false);
    all.dispatch("click");
    assert.deepEqual(model.sent.at(-1), { type: "select", ids: [1, 3, 2] });
    model.set("selected", [1, 2, 3]);
    assert.equal(all.checked, true);
    model.set("opened", 2);
    assert.equal(rowEl(2).getAttribute("aria-expanded"), "true");
    assert.ok(rowEl(2).classList.contains("ff-row-opened"));
  });

  it("shows service errors as an alert", () => {
    const { model, el } = mount();
    model.traits.status_kind = "error";
    model.set("status", "Cannot list the tasks: refused (retrying)");
    const status = el.querySelector(".ff-status");
    assert.equal(status.textContent, "Cannot list the tasks: refused (retrying)");
    assert.equal(status.getAttribute("role"), "alert");
    assert.ok(status.classList.contains("ff-status-error"));
  });

  it("pulls on a timer when asked to (Colab), and stops when the view goes", (t) => {
    t.mock.timers.enable({ apis: ["setInterval"] });
    const { model, cleanup } = mount();
    model.set("pull_interval", 2);
    t.mock.timers.tick(4000);
    assert.deepEqual(model.sent, [{ type: "pull" }, { type: "pull" }]);
    cleanup();
    t.mock.timers.tick(4000);
    assert.equal(model.sent.length, 2);
  });

  it("the cleanup removes every listener and the DOM", () => {
    const { model, el, cleanup } = mount();
    assert.ok(model.handlerCount() > 0);
    cleanup();
    assert.equal(model.handlerCount(), 0);
    assert.equal(el.children.length, 0);
    assert.equal(el.listenerCount(), 0);
  });
});
