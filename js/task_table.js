// The TaskBrowser's table: one custom DOM widget (an anywidget ES module).
//
// State arrives in traits (columns, sort, search, filters, page, page_size, total, selected, opened,
// loading, status, status_kind, pull_interval); rows arrive in messages:
//   {type: "page",  v, rows}                     the whole page (after a page/sort/search/filter change)
//   {type: "patch", v, rows, removed, order?}    only the rows that changed (of a row already shown,
//                                                only its id and the fields that changed)
// `v` counts versions: a patch whose v is not ours + 1 means we missed one, so we ask for a "pull".
// The front end never sets a trait; it sends {type: "sort" | "search" | "filter" | "page" | "open" |
// "action" | "select" | "compare" | "pull", ...}.
//
// The pure helpers are exported for node's test runner (js/test/task_table.test.mjs).

/**
 * @typedef {{id: number, name: string, state: string, problem_type?: string, dataset_name?: string,
 *   target_metric?: string, best_score?: number|null, spark?: number[], models_count?: number|null,
 *   run_time?: number|null, creation_date?: string|null, actions?: string[], pending?: string|null}} Row
 * @typedef {{v: number, rows: Map<number, Row>, order: number[]}} TableState
 * @typedef {{column: string, direction: "asc"|"desc"}} Sort
 * @typedef {{key: string, label: string, sortable: boolean}} Column
 */

export const SEARCH_DELAY_MS = 300;
export const PAGE_SIZES = [10, 20, 50, 100];
const SVG_NS = "http://www.w3.org/2000/svg";

/** @returns {TableState} */
export function emptyState() {
  return { v: 0, rows: new Map(), order: [] };
}

/**
 * Replace the whole page.
 * @param {TableState} _state
 * @param {{v: number, rows: Row[]}} msg
 * @returns {TableState}
 */
export function applyPage(_state, msg) {
  const rows = new Map();
  for (const row of msg.rows) rows.set(row.id, row);
  return { v: msg.v, rows, order: msg.rows.map((r) => r.id) };
}

/**
 * Apply a patch. Returns {state, stale}; when stale is true the patch was not applied (a version was
 * missed) and the caller should ask for the whole page.
 * @param {TableState} state
 * @param {{v: number, rows: Row[], removed?: number[], order?: number[]}} msg
 * @returns {{state: TableState, stale: boolean, changed: number[]}}
 */
export function applyPatch(state, msg) {
  if (msg.v !== state.v + 1) return { state, stale: true, changed: [] };
  const rows = new Map(state.rows);
  const removed = new Set(msg.removed || []);
  for (const id of removed) rows.delete(id);
  // a row already on the page comes as its id and the fields that changed; a new row comes whole
  for (const row of msg.rows) rows.set(row.id, rows.has(row.id) ? { ...rows.get(row.id), ...row } : row);
  let order;
  if (msg.order) {
    order = msg.order.slice();
  } else {
    order = state.order.filter((id) => !removed.has(id));
    for (const row of msg.rows) if (!order.includes(row.id)) order.push(row.id);
  }
  return { state: { v: msg.v, rows, order }, stale: false, changed: msg.rows.map((r) => r.id) };
}

/**
 * The message a click on a column header sends: a new column sorts ascending (descending for scores,
 * counts and dates, where the biggest is usually wanted first); the current column flips.
 * @param {Sort} sort
 * @param {string} column
 */
export function sortRequest(sort, column) {
  let direction;
  if (sort && sort.column === column) direction = sort.direction === "asc" ? "desc" : "asc";
  else direction = ["best_score", "models_count", "run_time", "creation_date", "id"].includes(column) ? "desc" : "asc";
  return { type: "sort", column, direction };
}

/** @param {string} term */
export function searchRequest(term) {
  return { type: "search", term: String(term).trim() };
}

/**
 * The message a filter dropdown sends ("" means all).
 * @param {string} field  "state" or "problem_type"
 * @param {string} value
 */
export function filterRequest(field, value) {
  return { type: "filter", [field]: value ? [value] : [] };
}

/**
 * The message of a pager button, or null when the page does not exist.
 * @param {number} page @param {number} pageSize @param {number} total @param {number} delta
 */
export function pageRequest(page, pageSize, total, delta) {
  const last = Math.max(0, Math.ceil(total / pageSize) - 1);
  const next = Math.min(last, Math.max(0, page + delta));
  return next === page ? null : { type: "page", page: next };
}

/** "21–40 of 53" @param {number} page @param {number} pageSize @param {number} total @param {number} shown */
export function pageInfo(page, pageSize, total, shown) {
  if (!total || !shown) return `0 of ${total || 0}`;
  const first = page * pageSize + 1;
  return `${first}–${first + shown - 1} of ${total}`;
}

/** aria-sort of a header. @param {Sort} sort @param {string} column */
export function ariaSort(sort, column) {
  if (!sort || sort.column !== column) return "none";
  return sort.direction === "asc" ? "ascending" : "descending";
}

/** Selection after toggling `id`. @param {number[]} selected @param {number} id */
export function toggleSelection(selected, id) {
  return selected.includes(id) ? selected.filter((x) => x !== id) : [...selected, id];
}

/**
 * Selection after the "select all" box of a page: every row of the page, or none of them when all
 * already are (selections on other pages stay).
 * @param {number[]} selected @param {number[]} pageIds
 */
export function selectPage(selected, pageIds) {
  const all = pageIds.length > 0 && pageIds.every((id) => selected.includes(id));
  if (all) return selected.filter((id) => !pageIds.includes(id));
  return [...selected, ...pageIds.filter((id) => !selected.includes(id))];
}

/**
 * The row index focus moves to for a key, or null when the key does not move focus.
 * @param {number} index current index (-1: none) @param {string} key @param {number} count rows
 * @param {number} [pageJump=10]
 */
export function moveFocus(index, key, count, pageJump = 10) {
  if (count <= 0) return null;
  const from = index < 0 ? -1 : Math.min(index, count - 1);
  switch (key) {
    case "ArrowDown": return Math.min(count - 1, from + 1);
    case "ArrowUp": return from < 0 ? 0 : Math.max(0, from - 1);
    case "Home": return 0;
    case "End": return count - 1;
    case "PageDown": return Math.min(count - 1, Math.max(0, from) + pageJump);
    case "PageUp": return Math.max(0, from - pageJump);
    default: return null;
  }
}

/**
 * What a key on a focused row does: "open", "select" or null (focus moves are moveFocus's).
 * @param {string} key
 */
export function rowKeyAction(key) {
  if (key === "Enter") return "open";
  if (key === " " || key === "Spacebar") return "select";
  return null;
}

/**
 * The message a row action button sends; delete is only sent once confirmed.
 * @param {Row} row @param {string} action @param {boolean} confirmed
 * @returns {object|null} the message, or null when the action is not allowed now or needs confirmation
 */
export function actionRequest(row, action, confirmed = false) {
  if (!row || !(row.actions || []).includes(action) || row.pending) return null;
  if (action === "delete" && !confirmed) return null;
  const msg = { type: "action", id: row.id, action };
  if (action === "delete") msg.confirmed = true;
  return msg;
}

/**
 * The SVG path of a sparkline through `values`, scaled into width x height (y grows downwards).
 * @param {number[]} values @param {number} width @param {number} height @param {number} [pad=1.5]
 */
export function sparklinePath(values, width, height, pad = 1.5) {
  const ys = (values || []).filter((v) => typeof v === "number" && Number.isFinite(v));
  if (ys.length === 0) return "";
  const min = Math.min(...ys);
  const max = Math.max(...ys);
  const span = max - min || 1;
  const n = ys.length;
  const x = (i) => (n === 1 ? width / 2 : pad + (i * (width - 2 * pad)) / (n - 1));
  const y = (v) => (max === min ? height / 2 : height - pad - ((v - min) * (height - 2 * pad)) / span);
  const r = (z) => Math.round(z * 10) / 10;
  if (n === 1) return `M${r(x(0) - 2)},${r(y(ys[0]))}L${r(x(0) + 2)},${r(y(ys[0]))}`;
  return ys.map((v, i) => `${i ? "L" : "M"}${r(x(i))},${r(y(v))}`).join("");
}

/** A score with 4 significant digits, or an en dash. @param {number|null|undefined} v */
export function formatScore(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "–";
  return Number(v.toPrecision(4)).toString();
}

/** Seconds as "42s", "3m 05s", "2h 07m". @param {number|null|undefined} s */
export function formatDuration(s) {
  if (typeof s !== "number" || !Number.isFinite(s) || s < 0) return "–";
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m ${String(t % 60).padStart(2, "0")}s`;
  return `${Math.floor(t / 3600)}h ${String(Math.floor((t % 3600) / 60)).padStart(2, "0")}m`;
}

/** The text of a plain cell. @param {Row} row @param {string} key */
export function cellText(row, key) {
  const v = row[key];
  switch (key) {
    case "best_score": return formatScore(v);
    case "run_time": return formatDuration(v);
    case "creation_date": return v ? String(v).replace("T", " ").slice(0, 16) : "–";
    case "problem_type": return v ? String(v).replace(/_/g, " ") : "–";
    default: return v === null || v === undefined || v === "" ? "–" : String(v);
  }
}

// ---- DOM (every builder takes the document, so tests can pass a small fake) -------------------------

/**
 * @param {Document} doc @param {string} tag @param {Record<string, any>} [attrs] @param {string} [text]
 */
export function h(doc, tag, attrs = {}, text) {
  const el = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  if (text !== undefined) el.textContent = text;
  return el;
}

/** @param {Document} doc @param {number[]} values @param {string} state */
export function sparklineElement(doc, values, state) {
  const width = 80, height = 20;
  const svg = doc.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", `ff-spark ff-spark-${String(state || "").toLowerCase()}`);
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const finite = (values || []).filter((v) => typeof v === "number" && Number.isFinite(v));
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", finite.length
    ? `best score from ${formatScore(finite[0])} to ${formatScore(finite[finite.length - 1])} over ${finite.length} points`
    : "no scores yet");
  const d = sparklinePath(finite, width, height);
  if (d) {
    const path = doc.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "none");
    svg.appendChild(path);
  }
  return svg;
}

/**
 * The <tr> of one row.
 * @param {Document} doc @param {Row} row @param {Column[]} columns
 * @param {{selected: boolean, opened: boolean, confirming: boolean, focused: boolean}} flags
 */
export function rowElement(doc, row, columns, flags) {
  const tr = h(doc, "tr", {
    class: `ff-row ff-state-${row.state}${flags.opened ? " ff-row-opened" : ""}${row.pending ? " ff-row-pending" : ""}`,
    role: "row",
    "data-id": row.id,
    "aria-selected": flags.selected ? "true" : "false",
    "aria-expanded": flags.opened ? "true" : "false",
    tabindex: flags.focused ? "0" : "-1",
  });
  const pick = h(doc, "td", { class: "ff-cell ff-cell-select", role: "gridcell" });
  const box = h(doc, "input", {
    type: "checkbox", class: "ff-select", tabindex: "-1", "aria-label": `Select task ${row.name}`,
  });
  box.checked = !!flags.selected;
  pick.appendChild(box);
  tr.appendChild(pick);
  for (const col of columns) {
    const td = h(doc, "td", { class: `ff-cell ff-cell-${col.key}`, role: "gridcell" });
    if (col.key === "state") {
      td.appendChild(h(doc, "span", { class: `ff-badge ff-badge-${row.state}` }, row.pending ? `${row.state} · ${row.pending}…` : row.state));
    } else if (col.key === "spark") {
      td.appendChild(sparklineElement(doc, row.spark || [], row.state));
    } else if (col.key === "actions") {
      td.appendChild(actionsElement(doc, row, flags.confirming));
    } else {
      td.textContent = cellText(row, col.key);
      if (col.key === "name") td.setAttribute("title", String(row.name ?? ""));
    }
    tr.appendChild(td);
  }
  return tr;
}

const ACTION_LABELS = { pause: "Pause", resume: "Resume", cancel: "Cancel", delete: "Delete" };

/** @param {Document} doc @param {Row} row @param {boolean} confirming */
export function actionsElement(doc, row, confirming) {
  const box = h(doc, "span", { class: "ff-actions" });
  if (row.pending) {
    box.appendChild(h(doc, "span", { class: "ff-pending", role: "status" }, `${row.pending} pending…`));
    return box;
  }
  if (confirming && (row.actions || []).includes("delete")) {
    box.appendChild(h(doc, "span", { class: "ff-confirm-text" }, "Delete?"));
    box.appendChild(h(doc, "button", { class: "ff-btn ff-confirm-delete", "data-action": "confirm-delete", tabindex: "-1", "aria-label": `Confirm deleting task ${row.name}` }, "Delete"));
    box.appendChild(h(doc, "button", { class: "ff-btn ff-keep", "data-action": "keep", tabindex: "-1", "aria-label": "Keep the task" }, "Keep"));
    return box;
  }
  for (const action of row.actions || []) {
    box.appendChild(h(doc, "button", {
      class: `ff-btn ff-action-${action}`, "data-action": action, tabindex: "-1",
      "aria-label": `${ACTION_LABELS[action] || action} task ${row.name}`,
    }, ACTION_LABELS[action] || action));
  }
  return box;
}

export const CSS = `
.ff-task-table { font-family: var(--jp-ui-font-family); font-size: var(--jp-ui-font-size1, 13px);
  color: var(--jp-ui-font-color1); background: var(--jp-layout-color1); border: 1px solid var(--jp-border-color2);
  border-radius: 4px; padding: 6px; }
.ff-toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 6px; }
.ff-toolbar input, .ff-toolbar select, .ff-btn { font: inherit; color: var(--jp-ui-font-color1);
  background: var(--jp-layout-color2); border: 1px solid var(--jp-border-color1); border-radius: 3px; padding: 2px 6px; }
.ff-btn { cursor: pointer; }
.ff-btn:disabled { color: var(--jp-ui-font-color3); cursor: default; }
.ff-btn:hover:not(:disabled) { background: var(--jp-layout-color3); }
.ff-search { min-width: 14em; }
.ff-grid-wrap { overflow-x: auto; }
.ff-grid { border-collapse: collapse; width: 100%; }
.ff-grid th { text-align: left; font-weight: 600; border-bottom: 1px solid var(--jp-border-color1);
  color: var(--jp-ui-font-color1); white-space: nowrap; padding: 0; }
.ff-grid th button { all: unset; cursor: pointer; padding: 4px 6px; display: block; }
.ff-grid th button:focus-visible, .ff-row:focus-visible { outline: 2px solid var(--jp-brand-color1); outline-offset: -2px; }
.ff-grid th .ff-sort-mark { color: var(--jp-brand-color1); margin-left: 3px; }
.ff-grid td { padding: 3px 6px; border-bottom: 1px solid var(--jp-border-color2); white-space: nowrap; }
.ff-cell-name { max-width: 18em; overflow: hidden; text-overflow: ellipsis; }
.ff-cell-best_score, .ff-cell-models_count, .ff-cell-run_time, .ff-cell-id { text-align: right; font-variant-numeric: tabular-nums; }
.ff-row { cursor: pointer; }
.ff-row-opened { box-shadow: inset 3px 0 0 var(--jp-brand-color1); }
.ff-row-pending { opacity: 0.75; }
.ff-badge { border: 1px solid currentColor; border-radius: 8px; padding: 0 6px; font-size: var(--jp-ui-font-size0, 11px); }
.ff-badge-RUNNING { color: var(--jp-brand-color1); }
.ff-badge-QUEUED, .ff-badge-CANCELED { color: var(--jp-ui-font-color2); }
.ff-badge-PAUSED { color: var(--jp-warn-color1); }
.ff-badge-COMPLETED { color: var(--jp-success-color1); }
.ff-badge-FAILED { color: var(--jp-error-color1); }
.ff-spark path { stroke: var(--jp-brand-color1); stroke-width: 1.5; }
.ff-spark-completed path, .ff-spark-canceled path, .ff-spark-failed path { stroke: var(--jp-ui-font-color2); }
.ff-actions { display: inline-flex; gap: 4px; }
.ff-grid td.ff-cell-actions, .ff-grid th.ff-head-actions { position: sticky; right: 0; background: var(--jp-layout-color1);
  box-shadow: -1px 0 0 var(--jp-border-color2); }
.ff-row:hover td.ff-cell-actions, .ff-row[aria-selected="true"] td.ff-cell-actions { background: inherit; }
.ff-row:hover { background: var(--jp-layout-color2); }
.ff-row[aria-selected="true"] { background: var(--jp-layout-color3); }
.ff-action-delete, .ff-confirm-delete { color: var(--jp-error-color1); }
.ff-footer { display: flex; gap: 8px; align-items: center; margin-top: 6px; color: var(--jp-ui-font-color2); }
.ff-status { margin-left: auto; }
.ff-status-error { color: var(--jp-error-color1); }
.ff-loading .ff-grid tbody { opacity: 0.6; }
.ff-empty td { color: var(--jp-ui-font-color2); font-style: italic; padding: 8px; }
`;

/**
 * @param {{model: any, el: HTMLElement}} ctx
 * @returns {() => void} cleanup
 */
function render({ model, el }) {
  const doc = el.ownerDocument || document;
  /** @type {TableState} */
  let state = emptyState();
  let focusedId = null;
  let confirmingId = null;
  let searchTimer = null;
  let pullTimer = null;
  const cleanups = [];
  const send = (msg) => model.send(msg);
  const on = (target, event, fn) => {
    target.addEventListener(event, fn);
    cleanups.push(() => target.removeEventListener(event, fn));
  };
  const onModel = (event, fn) => {
    model.on(event, fn);
    cleanups.push(() => model.off(event, fn));
  };

  const root = h(doc, "div", { class: "ff-task-table" });
  root.appendChild(h(doc, "style", {}, CSS));

  // toolbar
  const toolbar = h(doc, "div", { class: "ff-toolbar", role: "toolbar", "aria-label": "Task table controls" });
  const search = h(doc, "input", { type: "search", class: "ff-search", placeholder: "Search tasks…", "aria-label": "Search tasks" });
  const stateFilter = h(doc, "select", { class: "ff-filter-state", "aria-label": "Filter by state" });
  const problemFilter = h(doc, "select", { class: "ff-filter-problem", "aria-label": "Filter by problem type" });
  const compare = h(doc, "button", { class: "ff-btn ff-compare", type: "button" }, "Compare");
  toolbar.append(search, stateFilter, problemFilter, compare);
  root.appendChild(toolbar);

  // grid
  const wrap = h(doc, "div", { class: "ff-grid-wrap" });
  const table = h(doc, "table", { class: "ff-grid", role: "grid", "aria-label": "Tasks", "aria-multiselectable": "true" });
  const thead = h(doc, "thead", { role: "rowgroup" });
  const tbody = h(doc, "tbody", { role: "rowgroup" });
  table.append(thead, tbody);
  wrap.appendChild(table);
  root.appendChild(wrap);

  // footer
  const footer = h(doc, "div", { class: "ff-footer" });
  const prev = h(doc, "button", { class: "ff-btn ff-prev", type: "button", "aria-label": "Previous page" }, "‹ Prev");
  const info = h(doc, "span", { class: "ff-page-info", "aria-live": "polite" });
  const next = h(doc, "button", { class: "ff-btn ff-next", type: "button", "aria-label": "Next page" }, "Next ›");
  const sizeSelect = h(doc, "select", { class: "ff-page-size", "aria-label": "Rows per page" });
  const status = h(doc, "span", { class: "ff-status", role: "status", "aria-live": "polite" });
  footer.append(prev, info, next, sizeSelect, status);
  root.appendChild(footer);
  el.appendChild(root);

  const fillSelect = (select, allLabel, values, current) => {
    select.textContent = "";
    select.appendChild(h(doc, "option", { value: "" }, allLabel));
    for (const v of values) select.appendChild(h(doc, "option", { value: v }, String(v).replace(/_/g, " ")));
    select.value = current || "";
  };

  const renderHeader = () => {
    const sort = model.get("sort");
    thead.textContent = "";
    const tr = h(doc, "tr", { role: "row" });
    const all = h(doc, "th", { role: "columnheader", class: "ff-head-select" });
    const box = h(doc, "input", { type: "checkbox", class: "ff-select-all", "aria-label": "Select every task on this page" });
    all.appendChild(box);
    tr.appendChild(all);
    for (const col of model.get("columns")) {
      const th = h(doc, "th", { role: "columnheader", class: `ff-head-${col.key}` });
      if (col.sortable) {
        th.setAttribute("aria-sort", ariaSort(sort, col.key));
        const b = h(doc, "button", { class: `ff-sort ff-sort-${col.key}`, type: "button", "data-column": col.key }, col.label);
        const mark = ariaSort(sort, col.key);
        if (mark !== "none") b.appendChild(h(doc, "span", { class: "ff-sort-mark", "aria-hidden": "true" }, mark === "ascending" ? "▲" : "▼"));
        th.appendChild(b);
      } else {
        th.appendChild(h(doc, "span", { style: "padding: 4px 6px; display: block" }, col.label));
      }
      tr.appendChild(th);
    }
    thead.appendChild(tr);
  };

  const renderControls = () => {
    const filters = model.get("filters") || {};
    const choices = model.get("choices") || {};
    if (doc.activeElement !== search) search.value = model.get("search") || "";
    fillSelect(stateFilter, "All states", choices.state || [], (filters.state || [])[0]);
    fillSelect(problemFilter, "All problem types", choices.problem_type || [], (filters.problem_type || [])[0]);
    sizeSelect.textContent = "";
    const size = model.get("page_size");
    for (const n of new Set([...PAGE_SIZES, size].sort((a, b) => a - b))) sizeSelect.appendChild(h(doc, "option", { value: n }, `${n} / page`));
    sizeSelect.value = String(size);
  };

  const renderFooter = () => {
    const page = model.get("page"), size = model.get("page_size"), total = model.get("total");
    info.textContent = pageInfo(page, size, total, state.order.length);
    prev.disabled = pageRequest(page, size, total, -1) === null;
    next.disabled = pageRequest(page, size, total, +1) === null;
    const selected = model.get("selected") || [];
    const allBox = thead.querySelector("input.ff-select-all");
    if (allBox) allBox.checked = state.order.length > 0 && state.order.every((id) => selected.includes(id));
    compare.disabled = selected.length === 0;
    compare.textContent = selected.length ? `Compare (${selected.length})` : "Compare";
    status.textContent = model.get("status") || "";
    status.className = `ff-status${model.get("status_kind") === "error" ? " ff-status-error" : ""}`;
    status.setAttribute("role", model.get("status_kind") === "error" ? "alert" : "status");
    root.classList.toggle("ff-loading", !!model.get("loading"));
    root.setAttribute("aria-busy", model.get("loading") ? "true" : "false");
  };

  const flagsFor = (id) => ({
    selected: (model.get("selected") || []).includes(id),
    opened: model.get("opened") === id,
    confirming: confirmingId === id,
    focused: focusedId === id || (focusedId === null && state.order[0] === id),
  });

  /** @type {Map<number, HTMLElement>} */
  const rowEls = new Map();
  const buildRow = (id) => rowElement(doc, state.rows.get(id), model.get("columns"), flagsFor(id));

  const renderBody = () => {
    const hadFocus = tbody.contains(doc.activeElement);
    tbody.textContent = "";
    rowEls.clear();
    if (!state.rows.has(focusedId)) focusedId = null;
    if (state.order.length === 0) {
      const tr = h(doc, "tr", { class: "ff-empty", role: "row" });
      tr.appendChild(h(doc, "td", { role: "gridcell", colspan: (model.get("columns") || []).length + 1 }, model.get("loading") ? "Loading…" : "No tasks match."));
      tbody.appendChild(tr);
    }
    for (const id of state.order) {
      const tr = buildRow(id);
      rowEls.set(id, tr);
      tbody.appendChild(tr);
    }
    if (hadFocus && focusedId !== null) rowEls.get(focusedId)?.focus();
  };

  const updateRows = (ids) => {
    const active = doc.activeElement;
    for (const id of ids) {
      const old = rowEls.get(id);
      if (!old || !state.rows.has(id)) continue;
      const tr = buildRow(id);
      old.replaceWith(tr);
      rowEls.set(id, tr);
      if (old === active || old.contains(active)) tr.focus();
    }
  };

  const applyPatchToDom = (msg) => {
    const result = applyPatch(state, msg);
    if (result.stale) {
      send({ type: "pull" });
      return;
    }
    state = result.state;
    const needsFull = msg.order || msg.rows.some((r) => !rowEls.has(r.id)) || (msg.removed || []).length;
    if (needsFull) {
      // membership or order changed: move existing <tr>s, build only the changed ones
      const active = doc.activeElement;
      for (const id of msg.removed || []) { rowEls.get(id)?.remove(); rowEls.delete(id); }
      for (const r of msg.rows) {
        const old = rowEls.get(r.id);
        const tr = buildRow(r.id);
        if (old) old.replaceWith(tr);
        rowEls.set(r.id, tr);
      }
      if (state.order.length === 0 || tbody.querySelector(".ff-empty")) { renderBody(); return; }
      for (const id of state.order) tbody.appendChild(rowEls.get(id));
      if (active && !doc.contains(active) && focusedId !== null) rowEls.get(focusedId)?.focus();
    } else {
      updateRows(result.changed);
    }
    renderFooter();
  };

  const onCustom = (msg) => {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "page") {
      state = applyPage(state, msg);
      if (!state.rows.has(confirmingId)) confirmingId = null;
      renderBody();
      renderFooter();
    } else if (msg.type === "patch") {
      applyPatchToDom(msg);
    }
  };

  const focusRow = (id) => {
    const oldId = focusedId;
    focusedId = id;
    if (oldId !== null && rowEls.has(oldId)) rowEls.get(oldId).setAttribute("tabindex", "-1");
    if (state.order[0] !== undefined && rowEls.has(state.order[0])) rowEls.get(state.order[0]).setAttribute("tabindex", "-1");
    const tr = rowEls.get(id);
    if (tr) { tr.setAttribute("tabindex", "0"); tr.focus(); }
  };

  const toggleSelect = (id) => {
    const selected = toggleSelection(model.get("selected") || [], id);
    send({ type: "select", ids: selected });
  };

  // events
  const rowIdOf = (target) => {
    const tr = target && target.closest ? target.closest("tr.ff-row") : null;
    return tr ? Number(tr.getAttribute("data-id")) : null;
  };
  on(tbody, "click", (e) => {
    const id = rowIdOf(e.target);
    if (id === null) return;
    const row = state.rows.get(id);
    const button = e.target.closest("button[data-action]");
    focusedId = id;
    if (button) {
      e.stopPropagation();
      const action = button.getAttribute("data-action");
      if (action === "delete") { confirmingId = id; updateRows([id]); rowEls.get(id)?.querySelector(".ff-confirm-delete")?.focus(); return; }
      if (action === "keep") { confirmingId = null; updateRows([id]); rowEls.get(id)?.focus(); return; }
      const msg = actionRequest(row, action === "confirm-delete" ? "delete" : action, action === "confirm-delete");
      confirmingId = null;
      if (msg) send(msg);
      return;
    }
    if (e.target.closest("input.ff-select")) { toggleSelect(id); return; }
    send({ type: "open", id });
  });
  on(tbody, "keydown", (e) => {
    const id = rowIdOf(e.target);
    if (id === null) return;
    if (e.target.tagName === "BUTTON" && (e.key === "Enter" || e.key === " ")) return; // the button's own
    if (e.key === "Escape" && confirmingId !== null) { confirmingId = null; updateRows([id]); rowEls.get(id)?.focus(); return; }
    const index = state.order.indexOf(id);
    const to = moveFocus(index, e.key, state.order.length);
    if (to !== null) { e.preventDefault(); focusRow(state.order[to]); return; }
    const act = rowKeyAction(e.key);
    if (act === "open") { e.preventDefault(); send({ type: "open", id }); }
    else if (act === "select") { e.preventDefault(); toggleSelect(id); }
    else if (e.key === "Delete" && (state.rows.get(id)?.actions || []).includes("delete")) {
      e.preventDefault(); confirmingId = id; updateRows([id]); rowEls.get(id)?.querySelector(".ff-confirm-delete")?.focus();
    }
  });
  on(tbody, "focusin", (e) => {
    const id = rowIdOf(e.target);
    if (id !== null && e.target.classList && e.target.classList.contains("ff-row")) focusedId = id;
  });
  on(thead, "click", (e) => {
    if (e.target.closest("input.ff-select-all")) {
      send({ type: "select", ids: selectPage(model.get("selected") || [], state.order) });
      return;
    }
    const b = e.target.closest("button[data-column]");
    if (b) send(sortRequest(model.get("sort"), b.getAttribute("data-column")));
  });
  on(search, "input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => send(searchRequest(search.value)), SEARCH_DELAY_MS);
  });
  on(search, "keydown", (e) => {
    if (e.key === "Enter") { clearTimeout(searchTimer); send(searchRequest(search.value)); }
    if (e.key === "ArrowDown" && state.order.length) { e.preventDefault(); focusRow(focusedId ?? state.order[0]); }
  });
  on(stateFilter, "change", () => send(filterRequest("state", stateFilter.value)));
  on(problemFilter, "change", () => send(filterRequest("problem_type", problemFilter.value)));
  on(sizeSelect, "change", () => send({ type: "page", page_size: Number(sizeSelect.value) }));
  on(prev, "click", () => { const m = pageRequest(model.get("page"), model.get("page_size"), model.get("total"), -1); if (m) send(m); });
  on(next, "click", () => { const m = pageRequest(model.get("page"), model.get("page_size"), model.get("total"), +1); if (m) send(m); });
  on(compare, "click", () => { const ids = model.get("selected") || []; if (ids.length) send({ type: "compare", ids }); });

  const restartPull = () => {
    clearInterval(pullTimer);
    pullTimer = null;
    const seconds = model.get("pull_interval") || 0;
    if (seconds > 0) pullTimer = setInterval(() => send({ type: "pull" }), seconds * 1000);
  };

  onModel("msg:custom", onCustom);
  onModel("change:sort", () => { renderHeader(); renderFooter(); });
  onModel("change:columns", () => { renderHeader(); renderBody(); });
  onModel("change:search", renderControls);
  onModel("change:filters", renderControls);
  onModel("change:choices", renderControls);
  onModel("change:page_size", () => { renderControls(); renderFooter(); });
  for (const name of ["page", "total", "status", "status_kind", "loading"]) onModel(`change:${name}`, renderFooter);
  onModel("change:selected", () => {
    const selected = new Set(model.get("selected") || []);
    for (const [id, tr] of rowEls) {
      tr.setAttribute("aria-selected", selected.has(id) ? "true" : "false");
      const box = tr.querySelector("input.ff-select");
      if (box) box.checked = selected.has(id);
    }
    renderFooter();
  });
  onModel("change:opened", () => {
    const opened = model.get("opened");
    for (const [id, tr] of rowEls) {
      tr.classList.toggle("ff-row-opened", id === opened);
      tr.setAttribute("aria-expanded", id === opened ? "true" : "false");
    }
  });
  onModel("change:pull_interval", restartPull);

  renderHeader();
  renderControls();
  renderBody();
  renderFooter();
  restartPull();
  send({ type: "pull" });

  return () => {
    clearTimeout(searchTimer);
    clearInterval(pullTimer);
    for (const fn of cleanups) fn();
    root.remove();
  };
}

export default { render };
