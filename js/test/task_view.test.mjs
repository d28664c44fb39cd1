// Pure helpers of js/task_view.js (run: node --test js/test/).
import { test } from "node:test";
import assert from "node:assert/strict";

import view, {
  buttonText, formatScore, formatSeconds, freshnessText, liveElapsed, shouldPull, FINAL_STATES,
} from "../task_view.js";

test("the module is an anywidget module", () => {
  assert.equal(typeof view.render, "function");
});

test("formatSeconds", () => {
  for (const [input, expected] of [
    [0, "0 s"], [42.4, "42 s"], [60, "1 min 00 s"], [185, "3 min 05 s"], [3720, "1 h 02 min"],
    [null, "–"], [Number.NaN, "–"], [-5, "0 s"],
  ]) assert.equal(formatSeconds(input), expected, `formatSeconds(${input})`);
});

test("freshnessText counts seconds since the last good fetch", () => {
  assert.equal(freshnessText(0, 10_000), "waiting for the service…");
  assert.equal(freshnessText(10_000, 10_200), "updated just now");
  assert.equal(freshnessText(10_000, 12_000), "updated 2 s ago");
  assert.equal(freshnessText(10_000, 100_000), "updated 1 min 30 s ago");
});

test("liveElapsed grows while running and stops at the budget", () => {
  const budget = { elapsed: 10, budget: 60, running: true, fetched_at: 1_000 };
  assert.equal(liveElapsed(budget, 6_000), 15);
  assert.equal(liveElapsed(budget, 1_000_000), 60);
  assert.equal(liveElapsed({ ...budget, running: false }, 6_000), 10);
});

test("shouldPull: on, off, and auto only in Colab", () => {
  assert.equal(shouldPull("on", {}), true);
  assert.equal(shouldPull("off", { google: { colab: {} } }), false);
  assert.equal(shouldPull("auto", { google: { colab: {} } }), true);
  assert.equal(shouldPull("auto", {}), false);
});

test("buttonText shows pending actions", () => {
  assert.equal(buttonText({ name: "pause", label: "Pause", pending: false }), "Pause");
  assert.equal(buttonText({ name: "pause", label: "Pause", pending: true }), "Pausing…");
  assert.equal(buttonText({ name: "other", label: "X", pending: true }), "Working…");
});

test("formatScore and final states", () => {
  assert.equal(formatScore(0.912345), "0.9123");
  assert.equal(formatScore(null), "–");
  assert.ok(FINAL_STATES.has("CANCELED") && !FINAL_STATES.has("PAUSED"));
});
