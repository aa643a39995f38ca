import assert from "node:assert/strict";
import { explain } from "../shared/explain.ts";
import { loadClassifier } from "../shared/pipeline.ts";
import { parseInputs, scorePredictions } from "./predict.ts";
import { makeTestWeights } from "./test_weights.ts";

Deno.test("parseInputs: one text a line, blank lines skipped, line numbers kept", () => {
  assert.deepEqual(parseInputs("a b\n\n c\r\n", { jsonl: false }), [
    { line: 1, text: "a b" },
    { line: 3, text: " c" },
  ]);
});

Deno.test("parseInputs: JSON lines with a text and a label field; bad lines name the fix", () => {
  const rows = parseInputs('{"body":"x","y":1}\n{"body":"z","y":"spam"}', {
    jsonl: true,
    textField: "body",
    labelField: "y",
    source: "in.jsonl",
  });
  assert.deepEqual(rows, [{ line: 1, text: "x", label: "1" }, {
    line: 2,
    text: "z",
    label: "spam",
  }]);
  assert.throws(
    () => parseInputs('{"text":"a"}\nnot json', { jsonl: true, source: "in.jsonl" }),
    /Cannot read in\.jsonl:2: not JSON/,
  );
  assert.throws(
    () => parseInputs('{"body":"a"}', { jsonl: true, source: "in.jsonl" }),
    /in\.jsonl:1: no string field "text" \(fields: body\); pass --text-field/,
  );
  assert.throws(
    () => parseInputs('{"text":"a"}', { jsonl: true, labelField: "label", source: "f" }),
    /f:1: no label field "label"/,
  );
});

Deno.test("parseInputs: fastText lines when the first has a label word; the others must too", () => {
  assert.deepEqual(parseInputs("__label__spam win  now\n\nnoon __label__ham\n", { jsonl: false }), [
    { line: 1, text: "win now", label: "spam" },
    { line: 3, text: "noon", label: "ham" },
  ]);
  for (const bad of ["no label", "__label__a __label__b two", "__label__ham", "__label__ text"]) {
    assert.throws(
      () => parseInputs(`__label__ham fine\n${bad}`, { jsonl: false, source: "t.txt" }),
      /Cannot read t\.txt:2: expected one label word __label__NAME and a text, found .*drop every label word/,
      bad,
    );
  }
  // A label word after the first line does not make a plain file fastText.
  assert.deepEqual(parseInputs("plain\n__label__x y", { jsonl: false }), [
    { line: 1, text: "plain" },
    { line: 2, text: "__label__x y" },
  ]);
});

Deno.test("scorePredictions: accuracy and counts by hand; unknown true labels count wrong", () => {
  const p = (label: string) => ({ label, score: 1, scores: {} });
  const s = scorePredictions(
    ["ham", "spam"],
    [
      { line: 1, text: "", label: "ham" },
      { line: 2, text: "", label: "ham" },
      { line: 3, text: "", label: "spam" },
      { line: 4, text: "", label: "eggs" },
    ],
    [p("ham"), p("spam"), p("spam"), p("ham")],
  );
  assert.equal(s.accuracy, 0.5);
  assert.deepEqual(s.counts, [[1, 1], [0, 1]]);
  assert.deepEqual(s.unknownLabels, ["eggs"]);
});

function predict(args: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-sys", "serve/predict.ts"]
      .concat(args),
    cwd: new URL("..", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test({
  name: "deno task predict: JSONL in, the library's answers out, accuracy on stderr",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const weights = await makeTestWeights(["fwd", "bwd"]);
    const texts = ["win a free cruise now", "meeting at noon tomorrow", "cheap pills offer"];
    const truth = ["spam", "ham", "spam"];
    await Deno.writeTextFile(
      `${weights}/in.jsonl`,
      texts.map((t, i) => JSON.stringify({ msg: t, y: truth[i] })).join("\n"),
    );
    const out = await predict([
      "--weights",
      weights,
      "--input",
      `${weights}/in.jsonl`,
      "--text-field",
      "msg",
      "--label-field",
      "y",
      "--out",
      `${weights}/out.jsonl`,
    ]);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const rows = (await Deno.readTextFile(`${weights}/out.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );

    const clf = await loadClassifier(weights);
    const expected = await clf.classify(texts);
    clf.dispose();
    assert.equal(rows.length, 3);
    rows.forEach((r, i) => {
      assert.equal(r.index, i);
      assert.equal(r.line, i + 1);
      assert.equal(r.true, truth[i]);
      assert.equal(r.label, expected[i].label);
      assert.ok(Math.abs(r.score - expected[i].score) < 1e-6);
    });
    const correct = expected.filter((p, i) => p.label === truth[i]).length;
    assert.match(stderr, new RegExp(`accuracy ${(100 * correct / 3).toFixed(2)}% on 3 texts`));
    assert.match(stderr, /true \\ predicted\s+ham\s+spam/);
    assert.match(stderr, /macro avg\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}\s+3\n/);

    const missing = await predict(["--weights", weights, "--input", `${weights}/nope.txt`]);
    assert.equal(missing.code, 1);
    assert.match(new TextDecoder().decode(missing.stderr), /Cannot read .*nope\.txt: no such file/);
    const noWeights = await predict(["--weights", `${weights}/nope`, "hello"]);
    assert.equal(noWeights.code, 1);
    assert.match(
      new TextDecoder().decode(noWeights.stderr),
      /^error: Cannot load classifier from .*nope: folder not found; .*\nSee --weights and --device in --help\.\n$/,
    );
    const none = await predict(["--weights", weights]);
    assert.equal(none.code, 2);
    assert.match(new TextDecoder().decode(none.stderr), /Cannot predict: no texts/);

    // A Latin-1 file is read as the trainer reads one (Windows-1252), with a note; a UTF-16 one
    // by its byte-order mark.
    const accented = ["win a free cruise, café offert", "meeting at noon, réunion à midi"];
    await Deno.writeFile(
      `${weights}/latin1.txt`,
      Uint8Array.from([...accented.join("\n")].map((ch) => ch.charCodeAt(0))),
    );
    const utf16 = "\ufeff" + accented.join("\n");
    await Deno.writeFile(
      `${weights}/utf16.txt`,
      new Uint8Array(Uint16Array.from([...utf16].map((ch) => ch.charCodeAt(0))).buffer),
    );
    const again = await loadClassifier(weights);
    const want = await again.classify(accented);
    again.dispose();
    for (const name of ["latin1.txt", "utf16.txt"]) {
      const r = await predict(["--weights", weights, "--input", `${weights}/${name}`]);
      const err = new TextDecoder().decode(r.stderr);
      assert.equal(r.code, 0, err);
      const got = new TextDecoder().decode(r.stdout).trim().split("\n").map((l) => JSON.parse(l));
      assert.deepEqual(got.map((g) => g.score), want.map((w) => w.score), name);
      assert.equal(/is not UTF-8; read as Windows-1252/.test(err), name === "latin1.txt", err);
    }

    // --explain adds each word's weight, the library's explanation.
    const ex = await predict(["--weights", weights, "--explain", "win a free cruise", "noon"]);
    assert.equal(ex.code, 0, new TextDecoder().decode(ex.stderr));
    const lines = new TextDecoder().decode(ex.stdout).trim().split("\n").map((l) => JSON.parse(l));
    const lib = await loadClassifier(weights);
    const wanted = await explain(lib, "win a free cruise");
    lib.dispose();
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[0].pieces.map((p: { text: string }) => p.text), [
      "win",
      "a",
      "free",
      "cruise",
    ]);
    lines[0].pieces.forEach((p: { weight: number }, i: number) =>
      assert.ok(Math.abs(p.weight - wanted.pieces[i].weight) < 1e-7)
    );
    assert.equal(lines[1].wordsPerPiece, 1);

    // fastText lines: the label words are scored against and left out of the texts.
    await Deno.writeTextFile(
      `${weights}/in.txt`,
      texts.map((t, i) => `__label__${truth[i]} ${t}`).join("\n"),
    );
    const ft = await predict(["--weights", weights, "--input", `${weights}/in.txt`]);
    const ftErr = new TextDecoder().decode(ft.stderr);
    assert.equal(ft.code, 0, ftErr);
    const ftRows = new TextDecoder().decode(ft.stdout).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(ftRows.map((r) => r.true), truth);
    assert.deepEqual(ftRows.map((r) => r.score), expected.map((p) => p.score));
    assert.match(ftErr, /read as fastText lines/);
    assert.match(ftErr, new RegExp(`accuracy ${(100 * correct / 3).toFixed(2)}% on 3 texts`));
    await Deno.remove(weights, { recursive: true });
  },
});

Deno.test("parseInputs: labels follow the trainer's rule (trimmed; numbers and booleans as text; empty refused)", () => {
  const rows = parseInputs('{"text":"a","y":" spam "}\n{"text":"b","y":true}\n', {
    jsonl: true,
    labelField: "y",
  });
  assert.deepEqual(rows.map((r) => r.label), ["spam", "true"]);
  assert.throws(
    () => parseInputs('{"text":"a","y":"  "}', { jsonl: true, labelField: "y", source: "f" }),
    /^Error: Cannot read f:1: no label field "y" \(a non-empty string, number or boolean\)/,
  );
});
