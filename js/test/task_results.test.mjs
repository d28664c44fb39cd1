// Pure helpers of js/task_results.js (run: node --test js/test/).
import { test } from "node:test";
import assert from "node:assert/strict";

import results, { cellShare, cellText } from "../task_results.js";

test("the module is an anywidget module", () => {
  assert.equal(typeof results.render, "function");
});

test("cellText formats numbers and empties", () => {
  assert.equal(cellText(0.912345), "0.9123");
  assert.equal(cellText(12), "12");
  assert.equal(cellText(null), "");
  assert.equal(cellText(Number.NaN), "");
  assert.equal(cellText("logreg"), "logreg");
});

test("cellShare is the share of the row total", () => {
  assert.equal(cellShare([3, 1], 3), 0.75);
  assert.equal(cellShare([0, 0], 0), 0);
  assert.equal(cellShare([2, "x"], 2), 1);
});
