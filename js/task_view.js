// The live view of one task (firefly_widgets.widgets.live_view.TaskView).
//
// Renders the synced traits (header, budget, actions, confirming, notes, notes_status, connection,
// message, pull, version; the results have their own module, task_results.js) and sends events
// with one envelope, {type: ...}:
//   {type: "action", name, seconds?, datasource_id?}, {type: "confirm"}, {type: "dismiss"},
//   {type: "save_notes", notes}, {type: "retry"}, {type: "pull", version}, {type: "visibility", visible}.
// Where pushes from a kernel thread do not render (Colab), it pulls on a timer and the kernel answers
// with the latest state. Styled with JupyterLab's CSS variables so dark themes read well.

/**
 * @typedef {{id?: number, name?: string, state?: string, dataset?: string, problem_type?: string,
 *   metric?: string, direction?: string, best_score?: number|null, models?: number|null, error?: string}} Header
 * @typedef {{elapsed?: number, budget?: number, fraction?: number, eta?: number|null, running?: boolean,
 *   fetched_at?: number}} Budget
 * @typedef {{name: string, label: string, enabled: boolean, pending: boolean, destructive: boolean}} ActionButton
 * @typedef {{ok: boolean, updated_at: number, message: string, failures?: number}} Connection
 */

export const FINAL_STATES = new Set(["COMPLETED", "FAILED", "CANCELED"]);
export const PULL_PERIOD_MS = 1000;

const PENDING_LABELS = {
  pause: "Pausing…", resume: "Resuming…", cancel: "Cancelling…", rerun: "Restarting…",
  add_time: "Adding time…", refit: "Refitting…", delete: "Deleting…",
};

/** Seconds as a short human duration: "42 s", "3 min 05 s", "1 h 02 min". */
export function formatSeconds(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** "updated 2 s ago" from the time of the last good fetch (ms since epoch). */
export function freshnessText(updatedAt, now) {
  if (!updatedAt) return "waiting for the service…";
  const ago = Math.max(0, Math.round((now - updatedAt) / 1000));
  return ago < 1 ? "updated just now" : `updated ${formatSeconds(ago)} ago`;
}

/** Elapsed seconds shown by the budget bar: a running task's time keeps growing between fetches. */
export function liveElapsed(budget, now) {
  let elapsed = budget.elapsed || 0;
  if (budget.running && budget.fetched_at) elapsed += Math.max(0, (now - budget.fetched_at) / 1000);
  return budget.budget ? Math.min(elapsed, budget.budget) : elapsed;
}

/** Whether this front end should pull state on a timer. */
export function shouldPull(mode, env) {
  if (mode === "on") return true;
  if (mode === "off") return false;
  return Boolean(env && env.google && env.google.colab);
}

/** The text of a button: its label, or what it is doing while pending. */
export function buttonText(action) {
  return action.pending ? (PENDING_LABELS[action.name] || "Working…") : action.label;
}

/** A score with 4 significant digits, or "–". */
export function formatScore(value) {
  return typeof value === "number" && Number.isFinite(value) ? Number(value.toPrecision(4)).toString() : "–";
}

const CSS = `
.ff-tv { font-family: var(--jp-ui-font-family, sans-serif); font-size: var(--jp-ui-font-size1, 13px);
  color: var(--jp-ui-font-color1, #222); background: var(--jp-layout-color1, transparent);
  display: flex; flex-direction: column; gap: 6px; padding: 4px 0; }
.ff-tv[hidden], .ff-tv [hidden] { display: none !important; }
.ff-tv .ff-header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 10px; }
.ff-tv .ff-name { font-size: var(--jp-ui-font-size3, 16px); font-weight: 600; }
.ff-tv .ff-meta { color: var(--jp-ui-font-color2, #555); }
.ff-tv .ff-badge { border-radius: 10px; padding: 1px 8px; font-size: var(--jp-ui-font-size0, 11px);
  font-weight: 600; color: var(--jp-ui-inverse-font-color1, #fff); background: var(--jp-layout-color4, #777); }
.ff-tv .ff-state-RUNNING { background: var(--jp-brand-color1, #1976d2); }
.ff-tv .ff-state-QUEUED { background: var(--jp-layout-color4, #777); }
.ff-tv .ff-state-PAUSED { background: var(--jp-warn-color1, #f57c00); }
.ff-tv .ff-state-COMPLETED { background: var(--jp-success-color1, #388e3c); }
.ff-tv .ff-state-FAILED { background: var(--jp-error-color1, #d32f2f); }
.ff-tv .ff-state-CANCELED { background: var(--jp-layout-color4, #616161); }
.ff-tv .ff-budget { display: flex; align-items: center; gap: 8px; }
.ff-tv .ff-bar { flex: 1; max-width: 420px; height: 8px; border-radius: 4px;
  background: var(--jp-layout-color3, #ddd); overflow: hidden; }
.ff-tv .ff-bar-fill { height: 100%; background: var(--jp-brand-color1, #1976d2); width: 0; }
.ff-tv .ff-fresh { color: var(--jp-ui-font-color3, #888); font-size: var(--jp-ui-font-size0, 11px); }
.ff-tv .ff-actions { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.ff-tv button { font: inherit; color: var(--jp-ui-font-color1, #222); background: var(--jp-layout-color2, #eee);
  border: 1px solid var(--jp-border-color1, #bbb); border-radius: 3px; padding: 2px 10px; cursor: pointer; }
.ff-tv button:disabled { opacity: 0.45; cursor: default; }
.ff-tv button.ff-destructive:not(:disabled) { border-color: var(--jp-error-color1, #d32f2f); }
.ff-tv button.ff-pending { font-style: italic; }
.ff-tv .ff-confirm, .ff-tv .ff-input-row, .ff-tv .ff-banner, .ff-tv .ff-message {
  display: flex; gap: 8px; align-items: center; padding: 4px 8px; border-radius: 3px; }
.ff-tv .ff-confirm { background: var(--jp-warn-color3, #fff3e0); color: var(--jp-ui-font-color1, #222); }
.ff-tv .ff-banner { background: var(--jp-error-color3, #ffebee); color: var(--jp-ui-font-color1, #222);
  border-left: 3px solid var(--jp-error-color1, #d32f2f); }
.ff-tv .ff-message.ff-error { color: var(--jp-error-color1, #d32f2f); }
.ff-tv .ff-message.ff-info { color: var(--jp-ui-font-color2, #555); }
.ff-tv input, .ff-tv textarea { font: inherit; color: var(--jp-ui-font-color1, #222);
  background: var(--jp-layout-color0, #fff); border: 1px solid var(--jp-border-color1, #bbb); }
.ff-tv .ff-notes { display: flex; gap: 6px; align-items: flex-start; }
.ff-tv .ff-notes textarea { width: 420px; min-height: 2.5em; }
`;

/** Create an element with a class and optional text. */
function el_(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  const root = el_("div", "ff-tv");
  const style = el_("style");
  style.textContent = CSS;
  root.appendChild(style);

  const header = el_("div", "ff-header");
  const name = el_("span", "ff-name");
  const badge = el_("span", "ff-badge");
  badge.setAttribute("role", "status");
  const meta = el_("span", "ff-meta");
  const best = el_("span", "ff-best");
  header.append(name, badge, meta, best);

  const budgetRow = el_("div", "ff-budget");
  const bar = el_("div", "ff-bar");
  bar.setAttribute("role", "progressbar");
  bar.setAttribute("aria-valuemin", "0");
  bar.setAttribute("aria-valuemax", "100");
  bar.setAttribute("aria-label", "time budget used");
  const fill = el_("div", "ff-bar-fill");
  bar.appendChild(fill);
  const budgetText = el_("span", "ff-budget-text");
  const fresh = el_("span", "ff-fresh");
  budgetRow.append(bar, budgetText, fresh);

  const banner = el_("div", "ff-banner");
  banner.setAttribute("role", "alert");
  const bannerText = el_("span", "ff-banner-text");
  const retry = el_("button", "ff-retry", "Retry now");
  banner.append(bannerText, retry);

  const message = el_("div", "ff-message");
  message.setAttribute("aria-live", "polite");
  const actions = el_("div", "ff-actions");
  actions.setAttribute("role", "toolbar");
  actions.setAttribute("aria-label", "task actions");
  const confirm = el_("div", "ff-confirm");
  const inputRow = el_("div", "ff-input-row");
  inputRow.hidden = true;  // shown by add time / refit

  const notes = el_("div", "ff-notes");
  const notesArea = el_("textarea", "ff-notes-input");
  notesArea.setAttribute("aria-label", "task notes");
  notesArea.placeholder = "Notes…";
  const notesSave = el_("button", "ff-notes-save", "Save notes");
  const notesStatus = el_("span", "ff-notes-status");
  notes.append(notesArea, notesSave, notesStatus);

  root.append(header, budgetRow, banner, message, actions, confirm, inputRow, notes);
  el.appendChild(root);

  let notesDirty = false;
  /** @type {Map<string, HTMLButtonElement>} */
  const buttons = new Map();
  const listeners = [];
  const on = (target, event, fn) => { target.addEventListener(event, fn); listeners.push([target, event, fn]); };

  function renderHeader() {
    /** @type {Header} */
    const h = model.get("header") || {};
    root.hidden = h.id === undefined || h.id === null;
    name.textContent = h.name ? `${h.name} (#${h.id})` : `Task #${h.id ?? "?"}`;
    badge.textContent = h.state || "…";
    badge.className = `ff-badge ff-state-${h.state || "none"}`;
    const arrow = h.direction === "minimize" ? "↓" : "↑";
    meta.textContent = [h.dataset, h.problem_type, h.metric ? `${h.metric} ${arrow}` : ""]
      .filter(Boolean).join(" · ");
    best.textContent = `best ${formatScore(h.best_score)}`;
    best.title = h.direction === "minimize" ? "lower is better" : "higher is better";
  }

  function renderBudget() {
    /** @type {Budget} */
    const b = model.get("budget") || {};
    const now = Date.now();
    const elapsed = liveElapsed(b, now);
    const fraction = b.budget ? Math.min(1, elapsed / b.budget) : 0;
    fill.style.width = `${(fraction * 100).toFixed(1)}%`;
    bar.setAttribute("aria-valuenow", (fraction * 100).toFixed(0));
    let text = `${formatSeconds(elapsed)} / ${formatSeconds(b.budget)}`;
    if (b.running && b.budget) text += ` · ETA ${formatSeconds(Math.max(0, b.budget - elapsed))}`;
    budgetText.textContent = text;
    /** @type {Connection} */
    const c = model.get("connection") || {};
    fresh.textContent = freshnessText(c.updated_at, now);
  }

  function renderConnection() {
    /** @type {Connection} */
    const c = model.get("connection") || { ok: true };
    banner.hidden = c.ok !== false;
    bannerText.textContent = `Reconnecting to the Firefly service… ${c.message || ""}`;
    renderBudget();
  }

  function renderMessage() {
    const m = model.get("message") || {};
    message.hidden = !m.text;
    message.textContent = m.text || "";
    message.className = `ff-message ff-${m.kind || "info"}`;
  }

  function renderActions() {
    /** @type {ActionButton[]} */
    const list = model.get("actions") || [];
    for (const action of list) {
      let button = buttons.get(action.name);
      if (!button) {
        button = el_("button", `ff-action ff-action-${action.name}`);
        button.dataset.action = action.name;
        on(button, "click", () => onAction(action.name));
        buttons.set(action.name, button);
        actions.appendChild(button);
      }
      button.textContent = buttonText(action);
      button.disabled = !action.enabled;
      button.classList.toggle("ff-pending", action.pending);
      button.classList.toggle("ff-destructive", action.destructive);
      button.setAttribute("aria-busy", action.pending ? "true" : "false");
    }
  }

  function onAction(name) {
    if (name === "add_time" || name === "refit") {
      showInput(name);
      return;
    }
    const button = buttons.get(name);
    if (button) button.disabled = true;  // until the kernel says otherwise
    model.send({ type: "action", name });
  }

  function showInput(name) {
    inputRow.replaceChildren();
    inputRow.hidden = false;
    const label = el_("label", "", name === "add_time" ? "Extra seconds:" : "Datasource id (empty: training data):");
    const input = el_("input", `ff-input-${name}`);
    input.type = "number";
    input.min = "1";
    if (name === "add_time") input.value = "300";
    label.appendChild(input);
    const ok = el_("button", `ff-input-ok`, name === "add_time" ? "Add time" : "Refit");
    const cancel = el_("button", "ff-input-cancel", "Close");
    ok.addEventListener("click", () => {
      const value = input.value === "" ? undefined : Number(input.value);
      const msg = { type: "action", name };
      if (value !== undefined) msg[name === "add_time" ? "seconds" : "datasource_id"] = value;
      model.send(msg);
      inputRow.hidden = true;
    });
    cancel.addEventListener("click", () => { inputRow.hidden = true; });
    inputRow.append(label, ok, cancel);
  }

  function renderConfirm() {
    const name = model.get("confirming");
    confirm.replaceChildren();
    confirm.hidden = !name;
    if (!name) return;
    const action = (model.get("actions") || []).find((a) => a.name === name);
    const label = action ? action.label : name;
    const h = model.get("header") || {};
    const text = el_("span", "", `${label} task “${h.name || h.id}”? This cannot be undone.`);
    const yes = el_("button", "ff-confirm-yes ff-destructive", `Yes, ${label.toLowerCase()}`);
    const no = el_("button", "ff-confirm-no", "Keep it");
    yes.addEventListener("click", () => { yes.disabled = true; model.send({ type: "confirm" }); });
    no.addEventListener("click", () => model.send({ type: "dismiss" }));
    confirm.append(text, yes, no);
    no.focus();  // Enter keeps the task; confirming takes a deliberate click
  }

  function renderNotes() {
    if (!notesDirty) notesArea.value = model.get("notes") || "";
    const status = model.get("notes_status") || "";
    notesStatus.textContent = status === "saving" ? "saving…" : status;
    if (status === "saved") notesDirty = false;
  }

  const renderAll = () => {
    renderHeader(); renderConnection(); renderMessage(); renderActions(); renderConfirm();
    renderNotes();
  };
  const handlers = {
    "change:header": () => { renderHeader(); renderConfirm(); },
    "change:budget": renderBudget,
    "change:connection": renderConnection,
    "change:message": renderMessage,
    "change:actions": renderActions,
    "change:confirming": renderConfirm,
    "change:notes": renderNotes,
    "change:notes_status": renderNotes,
  };
  for (const [event, fn] of Object.entries(handlers)) model.on(event, fn);

  on(retry, "click", () => model.send({ type: "retry" }));
  on(notesArea, "input", () => { notesDirty = true; });
  on(notesSave, "click", () => model.send({ type: "save_notes", notes: notesArea.value }));

  // The clock: freshness and the budget bar move between fetches without any message.
  const tick = setInterval(renderBudget, 1000);

  // Pull mode: ask the kernel for the latest state, answered inside its message handler.
  const pulling = shouldPull(model.get("pull"), globalThis);
  let pullTicks = 0;
  const pull = pulling ? setInterval(() => {
    pullTicks += 1;
    const state = (model.get("header") || {}).state;
    // Every second while the task can change, every 5 s once it is final (a user may still act).
    if (!FINAL_STATES.has(state) || pullTicks % 5 === 0) model.send({ type: "pull", version: model.get("version") });
  }, PULL_PERIOD_MS) : null;
  if (pulling) model.send({ type: "pull", version: -1 });

  // Tell the kernel when the view scrolls out of sight, so it polls slower.
  let observer = null;
  if (typeof IntersectionObserver !== "undefined") {
    let visible = null;
    observer = new IntersectionObserver((entries) => {
      const now = entries.some((e) => e.isIntersecting);
      if (now !== visible) { visible = now; model.send({ type: "visibility", visible: now }); }
    });
    observer.observe(root);
  }

  renderAll();
  return () => {
    for (const [event, fn] of Object.entries(handlers)) model.off(event, fn);
    for (const [target, event, fn] of listeners) target.removeEventListener(event, fn);
    clearInterval(tick);
    if (pull) clearInterval(pull);
    if (observer) observer.disconnect();
    root.remove();
  };
}

export default { render };
