// The results section of a task's live view (firefly_widgets.widgets.results.ResultsView).
//
// Renders the synced `results` trait: {leaderboard?: {columns, rows}, confusion?: {labels, matrix}}.
// Shown below the score chart, so a long leaderboard never pushes the chart out of view. It sends
// no messages. Styled with JupyterLab's CSS variables so dark themes read well.

/** A number with 4 significant digits; other values as text; null as "". */
export function cellText(value) {
  if (typeof value === "number") return Number.isFinite(value) ? Number(value.toPrecision(4)).toString() : "";
  return value === null || value === undefined ? "" : String(value);
}

/** Background shade (0-1) of a confusion-matrix cell: its share of the row's total. */
export function cellShare(row, value) {
  const total = row.reduce((sum, v) => sum + (typeof v === "number" ? v : 0), 0);
  return total > 0 && typeof value === "number" ? value / total : 0;
}

const CSS = `
.ff-tr { font-family: var(--jp-ui-font-family, sans-serif); font-size: var(--jp-ui-font-size1, 13px);
  color: var(--jp-ui-font-color1, #222); display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.ff-tr:empty { display: none; }
.ff-tr h4 { margin: 4px 0; font-size: var(--jp-ui-font-size1, 13px); }
.ff-tr table { border-collapse: collapse; }
.ff-tr th, .ff-tr td { border: 1px solid var(--jp-border-color2, #ddd); padding: 2px 6px; text-align: right; }
.ff-tr th { background: var(--jp-layout-color2, #f2f2f2); }
.ff-tr .ff-cm-cell { position: relative; }
`;

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

function table(columns, rows, shade) {
  const t = node("table");
  const head = node("tr");
  for (const c of columns) head.appendChild(node("th", "", String(c)));
  t.appendChild(head);
  rows.forEach((row, i) => {
    const tr = node("tr");
    row.forEach((cell, j) => {
      const td = node(j === 0 && shade ? "th" : "td", "", cellText(cell));
      if (shade && j > 0) {
        const share = cellShare(row.slice(1), cell);
        td.className = "ff-cm-cell";
        td.style.background = `color-mix(in srgb, var(--jp-brand-color1, #1976d2) ${Math.round(share * 60)}%, transparent)`;
        if (i === j - 1) td.style.fontWeight = "600";
      }
      tr.appendChild(td);
    });
    t.appendChild(tr);
  });
  return t;
}

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  const style = node("style");
  style.textContent = CSS;
  const root = node("div", "ff-tr");
  el.append(style, root);

  function draw() {
    const r = model.get("results") || {};
    root.replaceChildren();
    if (r.leaderboard) {
      const box = node("div", "ff-leaderboard");
      box.append(node("h4", "", "Leaderboard (best first)"), table(r.leaderboard.columns, r.leaderboard.rows, false));
      root.appendChild(box);
    }
    if (r.confusion) {
      const box = node("div", "ff-confusion");
      const rows = r.confusion.matrix.map((row, i) => [r.confusion.labels[i], ...row]);
      box.append(node("h4", "", "Confusion matrix (rows: actual, columns: predicted)"),
        table(["", ...r.confusion.labels], rows, true));
      root.appendChild(box);
    }
  }

  model.on("change:results", draw);
  draw();
  return () => {
    model.off("change:results", draw);
    root.remove();
    style.remove();
  };
}

export default { render };
