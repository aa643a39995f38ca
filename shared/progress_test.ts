import assert from "node:assert/strict";
import {
  formatDuration,
  formatFields,
  formatNumber,
  groupThousands,
  ProgressBar,
  type ProgressBarOptions,
} from "./progress.ts";

/** A bar with a settable clock and captured output. */
function harness(opts: Partial<ProgressBarOptions> & { total: number }) {
  const clock = { t: 0 };
  const out: string[] = [];
  const bar = new ProgressBar({
    label: "lm",
    write: (s) => out.push(s),
    isTty: false,
    now: () => clock.t,
    ...opts,
  });
  return { bar, out, clock };
}

Deno.test("formatNumber: losses, rates, integers", () => {
  assert.equal(formatNumber(4.21345), "4.213");
  assert.equal(formatNumber(12.3456), "12.35");
  assert.equal(formatNumber(0.5), "0.5");
  assert.equal(formatNumber(0.0012), "1.2e-3");
  assert.equal(formatNumber(0.00015), "1.5e-4");
  assert.equal(formatNumber(0.01), "0.01");
  assert.equal(formatNumber(1234), "1,234");
  assert.equal(formatNumber(1234.6), "1,235");
  assert.equal(formatNumber(-1234567), "-1,234,567");
  assert.equal(formatNumber(0), "0");
  assert.equal(formatNumber(NaN), "NaN");
  assert.equal(formatNumber(Infinity), "Infinity");
  assert.equal(formatNumber(2e21), "2.000e+21");
});

Deno.test("groupThousands and formatDuration", () => {
  assert.equal(groupThousands(999), "999");
  assert.equal(groupThousands(1000), "1,000");
  assert.equal(groupThousands(12345678), "12,345,678");
  assert.equal(formatDuration(0), "00:00");
  assert.equal(formatDuration(83), "01:23");
  assert.equal(formatDuration(3599.4), "59:59");
  assert.equal(formatDuration(3723), "1:02:03");
  assert.equal(formatDuration(NaN), "--:--");
  assert.equal(formatDuration(-1), "--:--");
});

Deno.test("formatFields joins key value pairs", () => {
  assert.equal(
    formatFields({ loss: 4.2134, lr: 0.0012, "tok/s": 1234, stage: "pretrain" }),
    "loss 4.213 lr 1.2e-3 tok/s 1,234 stage pretrain",
  );
  assert.equal(formatFields({}), "");
});

Deno.test("ETA extrapolates the average rate with an injected clock", () => {
  const { bar, clock } = harness({ total: 100 });
  assert.match(bar.line(), /^lm \[\.{20}\] 0\/100 {3}0% elapsed 00:00 eta --:--$/);
  clock.t = 10_000;
  bar.update(25, { loss: 4.21345 });
  // 25 units in 10 s -> 75 units left take 30 s.
  assert.equal(
    bar.line(),
    "lm [#####...............] 25/100  25% elapsed 00:10 eta 00:30 loss 4.213",
  );
  clock.t = 60_000;
  bar.update(50);
  assert.match(bar.line(), /elapsed 01:00 eta 01:00$/);
  clock.t = 61_000;
  bar.update(100);
  assert.match(bar.line(), /\[#{20}\] 100\/100 100% elapsed 01:01 eta 00:00$/);
});

Deno.test("a resumed bar's ETA counts only the units done since it started", () => {
  const { bar, clock } = harness({ total: 100, initial: 60 });
  assert.match(bar.line(), /^lm \[#{12}\.{8}\] 60\/100 {2}60% elapsed 00:00 eta --:--$/);
  clock.t = 10_000;
  bar.update(70);
  // 10 units in 10 s (not 70) -> 30 units left take 30 s.
  assert.match(bar.line(), /elapsed 00:10 eta 00:30$/);
});

Deno.test("non-TTY prints at each 10% or every 30 s", () => {
  const { bar, out, clock } = harness({ total: 1000 });
  for (let i = 1; i <= 1000; i++) {
    clock.t = i * 10; // 10 s in total: the 30 s rule never fires
    bar.update(i, { loss: 5 - i / 1000 });
  }
  assert.equal(out.length, 10);
  assert.ok(out.every((l) => l.endsWith("\n") && !l.includes("\r")));
  assert.match(out[0], / 100\/1,000 {2}10% /);
  assert.match(out[9], / 1,000\/1,000 100% /);
  // Same state as the last printed line: finish adds nothing.
  bar.finish();
  assert.equal(out.length, 10);
});

Deno.test("non-TTY slow progress prints every 30 s", () => {
  const { bar, out, clock } = harness({ total: 1000 });
  for (let i = 1; i <= 50; i++) {
    clock.t = i * 1000; // 1 unit per second, far below 10%
    bar.update(i);
  }
  // Lines at 30 s only (the next would be at 60 s).
  assert.equal(out.length, 1);
  assert.match(out[0], / 30\/1,000 {3}3% elapsed 00:30 /);
  bar.finish({ loss: 1 });
  assert.equal(out.length, 2);
  assert.match(out[1], / 50\/1,000 .* loss 1\n$/);
});

Deno.test("TTY redraws in place at most every 100 ms", () => {
  const { bar, out, clock } = harness({ total: 10, isTty: true });
  clock.t = 0;
  bar.update(1);
  clock.t = 50;
  bar.update(2); // throttled
  clock.t = 150;
  bar.update(3);
  clock.t = 160;
  bar.update(10); // completion always draws
  assert.equal(out.length, 3);
  for (const s of out) {
    assert.ok(s.startsWith("\r") && s.endsWith("\x1b[K"), JSON.stringify(s));
  }
  assert.match(out[1], / 3\/10 /);
  bar.finish({ loss: 2.5 });
  assert.equal(out.length, 4);
  assert.ok(out[3].startsWith("\r") && out[3].endsWith(" loss 2.5\x1b[K\n"), out[3]);
  assert.match(out[3], / 10\/10 100% /);
  assert.throws(() => bar.update(10), /Cannot update progress bar: "lm" is finished/);
  bar.finish(); // no-op
  assert.equal(out.length, 4);
});

Deno.test("TTY lines are cut to the terminal width", () => {
  const { bar, out } = harness({ total: 10, isTty: true, columns: 40 });
  bar.update(5, { loss: 3.14159, lr: 0.001 });
  assert.equal(out[0], `\r${bar.line().slice(0, 39)}\x1b[K`);
});

Deno.test("total 0 counts as complete; bad totals throw", () => {
  const { bar } = harness({ total: 0 });
  assert.match(bar.line(), /\[#{20}\] 0\/0 100% /);
  assert.throws(() => harness({ total: -1 }), /Cannot create progress bar: total must be/);
  assert.throws(() => harness({ total: NaN }), /Cannot create progress bar/);
});
