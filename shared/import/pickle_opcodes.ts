/**
 * What each pickle opcode does to the {@linkcode PickleMachine}, by opcode byte, grouped as the
 * pickle protocol groups them: framing and the stack, constants and numbers, strings and bytes,
 * containers, the memo, and classes, calls and objects. STOP ends `unpickle` itself.
 *
 * @module
 */
import { long, type PickleMachine, utf8 } from "./pickle_machine.ts";
import { PyObject } from "./pickle_values.ts";

/** An opcode's effect; its argument bytes follow the opcode at `m.pos`. */
type Opcode = (m: PickleMachine) => void;

const STACK_OPS: [number, Opcode][] = [
  [0x80, (m) => { // PROTO
    const p = m.u8();
    if (p > 5) m.fail(`pickle protocol ${p} is newer than 5`);
  }],
  // FRAME: a length prefix for buffering; the data follows inline.
  [0x95, (m) => void m.u64()],
  [0x28, (m) => void m.marks.push(m.stack.length)], // MARK
  [0x30, (m) => { // POP
    if (m.marks.length && m.marks[m.marks.length - 1] === m.stack.length) m.marks.pop();
    else m.pop();
  }],
  [0x31, (m) => void m.popMark()], // POP_MARK
  [0x32, (m) => m.push(m.top())], // DUP
];

const NUMBER_OPS: [number, Opcode][] = [
  [0x4e, (m) => m.push(null)],
  [0x88, (m) => m.push(true)],
  [0x89, (m) => m.push(false)],
  [0x4a, (m) => m.push(m.i32())],
  [0x4b, (m) => m.push(m.u8())],
  [0x4d, (m) => m.push(m.u16())],
  [0x8a, (m) => m.push(long(m.bytes(m.u8())))],
  [0x8b, (m) => {
    const n = m.i32();
    if (n < 0) m.fail("LONG4 has a negative length");
    m.push(long(m.bytes(n)));
  }],
  [0x47, (m) => { // BINFLOAT: big-endian float64.
    m.need(8);
    m.push(m.view.getFloat64(m.pos, false));
    m.pos += 8;
  }],
  [0x49, (m) => { // INT (text; "01"/"00" are True/False)
    const s = m.line();
    m.push(s === "01" ? true : s === "00" ? false : m.textInt(s));
  }],
  [0x4c, (m) => m.push(m.textInt(m.line()))], // LONG (text)
  [0x46, (m) => { // FLOAT (text)
    const s = m.line();
    const v = Number(s);
    if (Number.isNaN(v) && !/nan/i.test(s)) m.fail(`"${s}" is not a float`);
    m.push(v);
  }],
];

const STRING_OPS: [number, Opcode][] = [
  [0x58, (m) => m.push(utf8.decode(m.bytes(m.u32())))],
  [0x8c, (m) => m.push(utf8.decode(m.bytes(m.u8())))],
  [0x8d, (m) => m.push(utf8.decode(m.bytes(m.u64())))],
  [0x54, (m) => { // BINSTRING (Python 2 str), decoded as UTF-8 like torch.load.
    const n = m.i32();
    if (n < 0) m.fail("BINSTRING has a negative length");
    m.push(utf8.decode(m.bytes(n)));
  }],
  [0x55, (m) => m.push(utf8.decode(m.bytes(m.u8())))],
  [0x42, (m) => m.push(m.bytes(m.u32()).slice())],
  [0x43, (m) => m.push(m.bytes(m.u8()).slice())],
  [0x8e, (m) => m.push(m.bytes(m.u64()).slice())],
  [0x96, (m) => m.push(m.bytes(m.u64()).slice())],
];

const CONTAINER_OPS: [number, Opcode][] = [
  [0x5d, (m) => m.push([])],
  [0x29, (m) => m.push([])],
  [0x7d, (m) => m.push(new Map())],
  [0x8f, (m) => m.push(new Set())],
  [0x6c, (m) => m.push(m.popMark())], // LIST
  [0x74, (m) => m.push(m.popMark())], // TUPLE
  [0x85, (m) => m.push([m.pop()])],
  [0x86, (m) => {
    const b = m.pop(), a = m.pop();
    m.push([a, b]);
  }],
  [0x87, (m) => {
    const c = m.pop(), b = m.pop(), a = m.pop();
    m.push([a, b, c]);
  }],
  [0x64, (m) => { // DICT
    const kv = m.popMark();
    const d = new Map();
    m.setItems(d, kv);
    m.push(d);
  }],
  [0x91, (m) => m.push(new Set(m.popMark()))], // FROZENSET
  [0x61, (m) => { // APPEND
    const x = m.pop();
    m.appendItems(m.top(), [x]);
  }],
  [0x65, appendMarked], // APPENDS
  [0x90, appendMarked], // ADDITEMS
  [0x73, (m) => { // SETITEM
    const v = m.pop(), k = m.pop();
    m.setItems(m.top(), [k, v]);
  }],
  [0x75, (m) => { // SETITEMS
    const kv = m.popMark();
    m.setItems(m.top(), kv);
  }],
];

function appendMarked(m: PickleMachine): void {
  const items = m.popMark();
  m.appendItems(m.top(), items);
}

const MEMO_OPS: [number, Opcode][] = [
  [0x71, (m) => void m.memo.set(m.u8(), m.top())],
  [0x72, (m) => void m.memo.set(m.u32(), m.top())],
  [0x70, (m) => void m.memo.set(Number(m.textInt(m.line())), m.top())],
  [0x94, (m) => void m.memo.set(m.memo.size, m.top())],
  [0x68, (m) => m.push(m.memoGet(m.u8()))],
  [0x6a, (m) => m.push(m.memoGet(m.u32()))],
  [0x67, (m) => m.push(m.memoGet(Number(m.textInt(m.line()))))],
];

/** Pops a tuple of arguments and the callable under it, and pushes the call's result. */
const callWithArgs = (name: string, dropKeywords = false): Opcode => (m) => {
  if (dropKeywords) m.pop();
  const args = m.pop();
  const fn = m.pop();
  if (!Array.isArray(args)) m.fail(`${name} needs a tuple of arguments`);
  m.push(m.call(fn, args as unknown[]));
};

const OBJECT_OPS: [number, Opcode][] = [
  [0x63, (m) => { // GLOBAL
    const module = m.line();
    m.push(m.resolve(module, m.line()));
  }],
  [0x93, (m) => { // STACK_GLOBAL
    const name = m.pop(), module = m.pop();
    if (typeof module !== "string" || typeof name !== "string") {
      m.fail("STACK_GLOBAL needs a module and a name");
    }
    m.push(m.resolve(module as string, name as string));
  }],
  [0x52, callWithArgs("REDUCE")],
  [0x81, callWithArgs("NEWOBJ")], // cls.__new__(cls, *args)
  [0x92, callWithArgs("NEWOBJ_EX", true)], // keyword arguments are dropped
  [0x6f, (m) => { // OBJ
    const items = m.popMark();
    if (!items.length) m.fail("OBJ needs a class");
    m.push(m.call(items[0], items.slice(1)));
  }],
  [0x69, (m) => { // INST
    const module = m.line();
    const cls = m.resolve(module, m.line());
    m.push(m.call(cls, m.popMark()));
  }],
  [0x62, (m) => { // BUILD
    const state = m.pop();
    const obj = m.top();
    if (obj instanceof PyObject) obj.state = state;
    // Attributes of dicts and known objects (an OrderedDict's _metadata) are of no use here.
  }],
  [0x51, (m) => m.persistent(m.pop())], // BINPERSID
  [0x50, (m) => m.persistent(m.line())], // PERSID
];

/** Every supported opcode but STOP. */
export const OPCODES: ReadonlyMap<number, Opcode> = new Map([
  ...STACK_OPS,
  ...NUMBER_OPS,
  ...STRING_OPS,
  ...CONTAINER_OPS,
  ...MEMO_OPS,
  ...OBJECT_OPS,
]);
