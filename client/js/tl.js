// A schema-driven TL codec (docs/protocol.md §4): the same .tl files as the C# library (served by the server at
// /schema/testbed.tl, read from disk by the Node tests). Objects are plain JS objects with the
// constructor name in `_`; int is a number, long a BigInt, int128/int256/bytes/string a Uint8Array, Bool a
// boolean, vectors arrays. Decoding refuses what the C# codec refuses: unknown ids, short input, non-canonical
// lengths and padding, trailing bytes.

const VECTOR_ID = 0x1cb5c415;
const BOOL_TRUE = 0x997275b5;
const BOOL_FALSE = 0xbc799737;
const BUILTIN = new Set(['int', 'long', 'double', 'int128', 'int256', 'string', 'bytes', 'Bool', 'true', '#', 'Object']);

/** A parsed TL schema. */
export class TlSchema {
  /** @param {string} text one or more .tl files, concatenated */
  constructor(text) {
    this.byName = new Map();
    this.byId = new Map();
    this.byType = new Map();
    let functions = false;
    for (const raw of text.split('\n')) {
      const line = raw.replace(/\/\/.*$/, '').trim();
      if (!line) continue;
      if (line === '---functions---') { functions = true; continue; }
      if (line === '---types---') { functions = false; continue; }
      const m = /^([a-zA-Z][\w.]*)#([0-9a-f]{1,8})((?:\s+[^=]+?)?)\s*=\s*([\w.<>]+)\s*;$/.exec(line);
      if (!m) continue; // built-in declarations and anything without an explicit id are not needed here
      // {X:Type} declares the API wrappers' query:!X (invokeWithLayer and the like): any boxed function.
      const params = m[3].trim().split(/\s+/).filter((token) => token && token !== '{X:Type}').map((token) => {
        const p = /^(\w+):(?:(\w+)\.(\d+)\?)?([%\w.<>#]+|!X)$/.exec(token);
        if (!p) throw new SyntaxError(`cannot read parameter ${token} of ${m[1]}`);
        return {
          name: p[1],
          flags: p[2],
          bit: p[3] === undefined ? undefined : Number(p[3]),
          type: parseType(p[4]),
        };
      });
      const combinator = {
        name: m[1],
        id: parseInt(m[2], 16) >>> 0,
        params,
        result: m[4],
        isFunction: functions,
      };
      this.byName.set(combinator.name, combinator);
      this.byId.set(combinator.id, combinator);
      if (!functions) this.byType.set(combinator.result, [...(this.byType.get(combinator.result) ?? []), combinator]);
    }
  }

  /** Serializes a boxed object. */
  serialize(value) {
    const writer = new Writer();
    this.#writeBoxed(writer, value);
    return writer.bytes();
  }

  /** Deserializes one boxed object that must fill the input exactly. */
  deserialize(bytes) {
    const reader = new Reader(bytes);
    const value = this.#readBoxed(reader, 0);
    if (reader.offset !== bytes.length) throw new TlError(`${bytes.length - reader.offset} bytes after the object`, reader.offset);
    return value;
  }

  /** Deserializes one boxed object at the start of bytes that may go on: {value, length}. */
  deserializePrefix(bytes) {
    const reader = new Reader(bytes);
    const value = this.#readBoxed(reader, 0);
    return { value, length: reader.offset };
  }

  /** The combinator named `name`. */
  get(name) {
    const combinator = this.byName.get(name);
    if (!combinator) throw new TlError(`the schema has no combinator ${name}`, 0);
    return combinator;
  }

  #writeBoxed(writer, value) {
    const combinator = this.get(value?._);
    writer.uint32(combinator.id);
    this.#writeFields(writer, combinator, value);
  }

  #writeFields(writer, combinator, value) {
    let flagsValues = {};
    for (const param of combinator.params) {
      if (param.type.kind === 'flags') {
        let flags = 0;
        for (const other of combinator.params) {
          if (other.flags === param.name && (other.type.kind === 'true' ? value[other.name] : value[other.name] !== undefined)) flags |= 1 << other.bit;
        }
        flagsValues[param.name] = flags;
        writer.int32(flags);
        continue;
      }
      if (param.flags !== undefined && !(flagsValues[param.flags] & (1 << param.bit))) continue;
      if (param.type.kind === 'true') continue;
      this.#writeValue(writer, param.type, value[param.name], `${combinator.name}.${param.name}`);
    }
  }

  #writeValue(writer, type, v, path) {
    switch (type.kind) {
      case 'int': writer.int32(requireType(v, 'number', path)); break;
      case 'long': writer.int64(requireType(v, 'bigint', path)); break;
      case 'double': writer.float64(requireType(v, 'number', path)); break;
      case 'int128': case 'int256': writer.raw(requireBytes(v, type.kind === 'int128' ? 16 : 32, path)); break;
      case 'string': case 'bytes': writer.tlBytes(typeof v === 'string' ? new TextEncoder().encode(v) : requireBytes(v, undefined, path)); break;
      case 'Bool': writer.uint32(requireType(v, 'boolean', path) ? BOOL_TRUE : BOOL_FALSE); break;
      case 'vector': case 'bareVector':
        if (!Array.isArray(v)) throw new TlError(`${path}: expected an array`, writer.length);
        if (type.kind === 'vector') writer.uint32(VECTOR_ID);
        writer.int32(v.length);
        v.forEach((item, i) => this.#writeValue(writer, type.element, item, `${path}[${i}]`));
        break;
      case 'bare': this.#writeFields(writer, this.bare(type.name), v); break;
      default: this.#writeBoxed(writer, v); break; // boxed type or Object
    }
  }

  /** The combinator a bare type names: a constructor (`%message`, `message`) or a type's only constructor. */
  bare(typeName) {
    const name = typeName.replace(/^%/, '');
    const constructors = this.byName.has(name) ? [this.byName.get(name)] : this.byType.get(name) ?? [];
    if (constructors.length !== 1) throw new TlError(`bare type ${typeName} needs exactly one constructor`, 0);
    return constructors[0];
  }

  #readBoxed(reader, depth) {
    if (depth > 32) throw new TlError('nesting deeper than 32', reader.offset);
    const at = reader.offset;
    const id = reader.uint32();
    const combinator = this.byId.get(id);
    if (!combinator) throw new TlError(`unknown constructor id ${id.toString(16).padStart(8, '0')}`, at);
    return this.#readFields(reader, combinator, depth);
  }

  #readFields(reader, combinator, depth) {
    const value = { _: combinator.name };
    const flags = {};
    for (const param of combinator.params) {
      if (param.type.kind === 'flags') { flags[param.name] = value[param.name] = reader.int32(); continue; }
      if (param.flags !== undefined && !(flags[param.flags] & (1 << param.bit))) continue;
      value[param.name] = param.type.kind === 'true' ? true : this.#readValue(reader, param.type, depth + 1);
    }
    return value;
  }

  #readValue(reader, type, depth) {
    switch (type.kind) {
      case 'int': return reader.int32();
      case 'long': return reader.int64();
      case 'double': return reader.float64();
      case 'int128': return reader.raw(16);
      case 'int256': return reader.raw(32);
      case 'string': case 'bytes': return reader.tlBytes();
      case 'Bool': {
        const at = reader.offset, id = reader.uint32();
        if (id === BOOL_TRUE) return true;
        if (id === BOOL_FALSE) return false;
        throw new TlError(`not a Bool: ${id.toString(16)}`, at);
      }
      case 'vector': case 'bareVector': {
        if (type.kind === 'vector') {
          const at = reader.offset;
          if (reader.uint32() !== VECTOR_ID) throw new TlError('expected a vector', at);
        }
        const count = reader.int32();
        if (count < 0 || count > reader.remaining / 4) throw new TlError(`impossible vector length ${count}`, reader.offset - 4);
        return Array.from({ length: count }, () => this.#readValue(reader, type.element, depth + 1));
      }
      case 'bare': return this.#readFields(reader, this.bare(type.name), depth);
      default: return this.#readBoxed(reader, depth);
    }
  }
}

/** A TL input or output that breaks the rules; `offset` is where reading stopped. */
export class TlError extends Error {
  constructor(message, offset) {
    super(`${message} (at byte ${offset})`);
    this.offset = offset;
  }
}

function parseType(text) {
  const vector = /^(Vector|vector)<(.+)>$/.exec(text);
  if (vector) return { kind: vector[1] === 'Vector' ? 'vector' : 'bareVector', element: parseType(vector[2]) };
  if (text === '#') return { kind: 'flags' };
  if (BUILTIN.has(text) || text === '!X') return { kind: text === 'Object' || text === '!X' ? 'object' : text };
  const last = text.replace(/^%/, '').split('.').pop();
  return text.startsWith('%') || last[0] === last[0].toLowerCase() ? { kind: 'bare', name: text } : { kind: 'boxed', name: text };
}

const requireType = (v, type, path) => {
  if (typeof v !== type) throw new TlError(`${path}: expected a ${type}, got ${typeof v}`, 0);
  return v;
};

const requireBytes = (v, length, path) => {
  if (!(v instanceof Uint8Array) || (length !== undefined && v.length !== length)) throw new TlError(`${path}: expected ${length ?? 'some'} bytes`, 0);
  return v;
};

class Writer {
  #buffer = new Uint8Array(256);
  length = 0;

  #room(n) {
    if (this.length + n <= this.#buffer.length) return;
    const bigger = new Uint8Array(Math.max(this.#buffer.length * 2, this.length + n));
    bigger.set(this.#buffer.subarray(0, this.length));
    this.#buffer = bigger;
  }

  #view(n) { this.#room(n); const v = new DataView(this.#buffer.buffer, this.length, n); this.length += n; return v; }
  int32(v) { this.#view(4).setInt32(0, v, true); }
  uint32(v) { this.#view(4).setUint32(0, v >>> 0, true); }
  int64(v) { this.#view(8).setBigInt64(0, BigInt.asIntN(64, v), true); }
  float64(v) { this.#view(8).setFloat64(0, v, true); }
  raw(bytes) { this.#room(bytes.length); this.#buffer.set(bytes, this.length); this.length += bytes.length; }

  tlBytes(bytes) {
    const header = bytes.length < 254 ? 1 : 4;
    if (header === 1) this.raw([bytes.length]);
    else this.raw([254, bytes.length & 255, (bytes.length >> 8) & 255, (bytes.length >> 16) & 255]);
    this.raw(bytes);
    this.raw(new Uint8Array((4 - ((header + bytes.length) % 4)) % 4));
  }

  bytes() { return this.#buffer.slice(0, this.length); }
}

class Reader {
  constructor(bytes) { this.data = bytes; this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length); this.offset = 0; }
  get remaining() { return this.data.length - this.offset; }

  #take(n) {
    if (this.remaining < n) throw new TlError(`needs ${n} more bytes, ${this.remaining} left`, this.offset);
    const at = this.offset;
    this.offset += n;
    return at;
  }

  int32() { return this.view.getInt32(this.#take(4), true); }
  uint32() { return this.view.getUint32(this.#take(4), true); }
  int64() { return this.view.getBigInt64(this.#take(8), true); }
  float64() { return this.view.getFloat64(this.#take(8), true); }
  raw(n) { const at = this.#take(n); return this.data.slice(at, at + n); }

  tlBytes() {
    const start = this.offset;
    let length = this.data[this.#take(1)], header = 1;
    if (length === 255) throw new TlError('string length byte 255', start);
    if (length === 254) {
      const at = this.#take(3);
      length = this.data[at] | (this.data[at + 1] << 8) | (this.data[at + 2] << 16);
      header = 4;
      if (length < 254) throw new TlError('a long length header for a short string', start);
    }
    const bytes = this.raw(length);
    const padding = (4 - ((header + length) % 4)) % 4;
    const pad = this.raw(padding);
    if (pad.some((b) => b !== 0)) throw new TlError('non-zero padding', start);
    return bytes;
  }
}
