// The unpickler on hand-annotated pickle bytes (each checked against
// CPython's pickle.loads when written).
import assert from "node:assert/strict";
import { PickleError, PyGlobal, PyObject, unpickle } from "./pickle.ts";

/** Bytes from hex: on each line, the hex groups before the first other word (the comment). */
function hex(s: string): Uint8Array {
  const digits = s.split("\n").map((line) => {
    const words = line.trim().split(/\s+/);
    const n = words.findIndex((w) => !/^([0-9a-f]{2})+$/i.test(w));
    return words.slice(0, n < 0 ? words.length : n).join("");
  }).join("");
  return Uint8Array.from(digits.match(/../g) ?? [], (h) => parseInt(h, 16));
}
const text = (s: string) => [...new TextEncoder().encode(s)];

Deno.test("protocol 2: dict, list, ints, floats, tuples, memo", () => {
  // pickle.dumps({'a': [7, 300, -1, 2**63, -2, 1.5], 'b': (None, True, False), 'c': ('x',)}, 2)
  const bytes = hex(`
    8002                 PROTO 2
    7d 7100              EMPTY_DICT, BINPUT 0
    28                   MARK
    5801000000 61 7101   BINUNICODE 'a', BINPUT 1
    5d 7102 28           EMPTY_LIST, BINPUT 2, MARK
    4b07                 BININT1 7
    4d2c01               BININT2 300
    4affffffff           BININT -1
    8a09 000000000000008000   LONG1 2**63 (9 bytes, little-endian)
    4afeffffff           BININT -2
    47 3ff8000000000000  BINFLOAT 1.5 (big-endian)
    65                   APPENDS
    5801000000 62 7103   BINUNICODE 'b', BINPUT 3
    4e 88 89 87 7104     NONE, NEWTRUE, NEWFALSE, TUPLE3, BINPUT 4
    5801000000 63 7105   BINUNICODE 'c', BINPUT 5
    5801000000 78 7106   BINUNICODE 'x', BINPUT 6
    85 7107              TUPLE1, BINPUT 7
    75 2e                SETITEMS, STOP`);
  const { value, end } = unpickle(bytes);
  assert.equal(end, bytes.length);
  assert.ok(value instanceof Map);
  assert.deepEqual(value.get("a"), [7, 300, -1, 2n ** 63n, -2, 1.5]);
  assert.deepEqual(value.get("b"), [null, true, false]);
  assert.deepEqual(value.get("c"), ["x"]);
});

Deno.test("protocol 4: FRAME, SHORT_BINUNICODE, MEMOIZE, UTF-8, empty tuple", () => {
  // pickle.dumps(['é', 'xxx', ()], protocol=4)
  const bytes = hex(`
    8004 95 1100000000000000   PROTO 4, FRAME 17
    5d 94 28                   EMPTY_LIST, MEMOIZE, MARK
    8c02 c3a9 94               SHORT_BINUNICODE 'é', MEMOIZE
    8c03 787878 94             SHORT_BINUNICODE 'xxx', MEMOIZE
    29 65 2e                   EMPTY_TUPLE, APPENDS, STOP`);
  assert.deepEqual(unpickle(bytes).value, ["é", "xxx", []]);
});

Deno.test("BINGET returns the memoised object itself", () => {
  // x = []; pickle.dumps([x, x], 2): EMPTY_LIST q0 MARK EMPTY_LIST q1 BINGET 1 APPENDS STOP
  const bytes = hex("8002 5d7100 28 5d7101 6801 65 2e");
  const v = unpickle(bytes).value as unknown[][];
  assert.equal(v.length, 2);
  assert.equal(v[0], v[1]);
});

Deno.test("GLOBAL + REDUCE: collections.OrderedDict becomes a Map; _codecs.encode bytes", () => {
  // pickle.dumps(OrderedDict([('w', 1)]), 2)
  const od = new Uint8Array([
    0x80,
    2,
    0x63,
    ...text("collections\nOrderedDict\n"),
    0x71,
    0, // GLOBAL, BINPUT 0
    0x29,
    0x52,
    0x71,
    1, // EMPTY_TUPLE, REDUCE, BINPUT 1
    0x58,
    1,
    0,
    0,
    0,
    0x77,
    0x71,
    2,
    0x4b,
    1,
    0x73,
    0x2e, // 'w' BINPUT 2, BININT1 1, SETITEM, STOP
  ]);
  const v = unpickle(od).value as Map<string, number>;
  assert.ok(v instanceof Map);
  assert.deepEqual([...v], [["w", 1]]);
  // pickle.dumps(b'\x00\xff', 2): _codecs.encode('\x00ÿ', 'latin1')
  const b = hex(
    "8002 635f636f646563730a656e636f64650a 7100 5803000000 00c3bf 7101 58060000006c6174696e31 7102 86 7103 52 7104 2e",
  );
  assert.deepEqual(unpickle(b).value, new Uint8Array([0, 255]));
});

Deno.test("STACK_GLOBAL + NEWOBJ + BUILD of an unknown class give a PyObject", () => {
  // A fastai-v1-style Vocab instance with itos = ['xxunk', 'the'], protocol 4.
  const bytes = hex(`
    8004 95 3000000000000000
    8c02 6676 94  8c05 566f636162 94  93 94    'fv' 'Vocab' STACK_GLOBAL
    29 81 94                                   EMPTY_TUPLE NEWOBJ
    7d 94 8c04 69746f73 94 5d 94 28            {'itos': [
    8c05 7878756e6b 94 8c03 746865 94 65       'xxunk', 'the' APPENDS
    73 62 2e                                   SETITEM BUILD STOP`);
  const v = unpickle(bytes).value;
  assert.ok(v instanceof PyObject);
  assert.equal(v.cls.qualname, "fv.Vocab");
  assert.deepEqual((v.state as Map<string, unknown>).get("itos"), ["xxunk", "the"]);
});

Deno.test("globals and persistentLoad hooks; consecutive pickles", () => {
  // GLOBAL torch.FloatStorage, then a persistent id ('storage', <class>, '0'), twice in a row.
  const one = [
    0x80,
    2,
    0x28,
    0x58,
    7,
    0,
    0,
    0,
    ...text("storage"), // MARK 'storage'
    0x63,
    ...text("torch\nFloatStorage\n"), // GLOBAL
    0x58,
    1,
    0,
    0,
    0,
    0x30,
    0x74,
    0x51,
    0x2e, // '0' TUPLE BINPERSID STOP
  ];
  const data = new Uint8Array([...one, ...one]);
  const seen: unknown[] = [];
  const opts = {
    globals: (m: string, n: string) => (m === "torch" ? `class ${n}` : undefined),
    persistentLoad: (pid: unknown) => (seen.push(pid), "storage!"),
  };
  const first = unpickle(data, opts);
  assert.equal(first.value, "storage!");
  assert.equal(first.end, one.length);
  assert.deepEqual(seen[0], ["storage", "class FloatStorage", "0"]);
  assert.equal(unpickle(data, { ...opts, offset: first.end }).end, data.length);
  // Without hooks the global is a PyGlobal and the persistent id an error.
  assert.throws(() => unpickle(data), /refers to external data/);
  const g = unpickle(new Uint8Array([0x80, 2, 0x63, ...text("numpy\ndtype\n"), 0x2e])).value;
  assert.ok(g instanceof PyGlobal && g.qualname === "numpy.dtype");
});

Deno.test("errors name the problem and the byte", () => {
  const err = (bytes: number[], re: RegExp) => {
    assert.throws(() => unpickle(new Uint8Array(bytes), { label: "x.pkl" }), (e: unknown) => {
      assert.ok(e instanceof PickleError);
      assert.match(e.message, re);
      return true;
    });
  };
  err(
    [0x80, 2, 0x58, 9, 0, 0, 0, 0x61],
    /^Cannot unpickle x\.pkl: the data ends in the middle of BINUNICODE at byte 2$/,
  );
  err([0x80, 2, 0x5d], /the data ends before the STOP opcode at byte 3/);
  err([0x80, 2, 0x82, 1], /opcode EXT1 is not supported at byte 2/);
  err([0x80, 2, 0xff], /byte 0xff is not a pickle opcode at byte 2/);
  err([0x80, 6, 0x4e, 0x2e], /pickle protocol 6 is newer than 5/);
  err([0x80, 2, 0x68, 3, 0x2e], /memo entry 3 is missing/);
  err([0x80, 2, 0x2e], /the stack is empty/);
  err([0x80, 2, 0x65, 0x2e], /there is no MARK to pop to/);
});
