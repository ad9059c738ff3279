// The protocol inspector, taught the way Wireshark does (docs/inspector.md): the handshake's steps as the client
// takes them, and every packet both ways in a table that can be filtered and exported as a lab capture
// (docs/lab.md). A selected packet shows its fields outside and inside the encryption (docs/protocol.md §2) next to
// a hex dump that marks and names them, and its object with TL `string` fields as text. It only reads what the
// client reports through its `step` and `packet` callbacks, and the stored key to open a selected packet.
import { fromHex, hex, readInt32, readInt64 } from './bytes.js';
import { msgIdClass, msgIdTime } from './msgid.js';
import * as mt from './mtproto.js';

const $ = (id) => document.getElementById(id);

/** The most packets kept; older ones leave the table. */
const MAX_PACKETS = 1000;

/** The most bytes a hex dump shows (a long history answer would be tens of thousands of spans). */
const MAX_DUMP_BYTES = 16384;

/** The value of a capture header's "format" field (conformance/Lab/Proxy/Capture.cs, Capture.FormatName). */
const CAPTURE_FORMAT = 'mtproto-testbed-capture';

/**
 * The open record's detail for each transport, as the lab's proxy writes it ("{transport} {framing}", with
 * "obfuscated" between them for an obfuscated connection: the packets exported are the frames inside it).
 */
const OPEN_DETAIL = {
  websocket: 'websocket obfuscated Intermediate',
  'websocket-plain': 'websocket Intermediate',
  http: 'http',
};

const json = (value) => JSON.stringify(value, (key, v) => (typeof v === 'bigint' ? v.toString() : v), 2);

const hex64 = (value) => BigInt.asUintN(64, value).toString(16).padStart(16, '0');

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// ---- objects ----

/**
 * A decoded TL object for reading. The schema says which fields are `string` — shown as text when they are valid
 * UTF-8, as hex with a note when not — and which are `bytes`, int128 or int256, always hex: a `bytes` field that
 * happens to hold letters is still bytes. long is shown in decimal.
 */
export function present(schema, value) {
  const combinator = schema.byName.get(value?._);
  return combinator ? presentFields(schema, combinator, value) : value;
}

function presentFields(schema, combinator, value) {
  const shown = { _: combinator.name };
  for (const param of combinator.params) {
    if (param.name in value) shown[param.name] = presentValue(schema, param.type, value[param.name]);
  }
  return shown;
}

function presentValue(schema, type, value) {
  switch (type.kind) {
    case 'string': return utf8OrHex(value);
    case 'bytes': case 'int128': case 'int256': return `hex:${hex(value)}`;
    case 'long': return value.toString();
    case 'vector': case 'bareVector': return value.map((item) => presentValue(schema, type.element, item));
    case 'bare': return presentFields(schema, schema.bare(type.name), value);
    case 'boxed': case 'object': return present(schema, value);
    default: return value; // int, double, Bool, true and flags are shown as they are
  }
}

function utf8OrHex(bytes) {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return `hex:${hex(bytes)} (a string field that is not valid UTF-8)`;
  }
}

/** Every constructor name in an object, nested ones too (a container's messages, an rpc_result's result). */
export function constructorsOf(value) {
  if (Array.isArray(value)) return value.flatMap(constructorsOf);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  return [...(value._ ? [value._] : []), ...Object.values(value).flatMap(constructorsOf)];
}

// ---- fields ----

const field = (name, offset, length, value) => ({ name, offset, length, value });

/**
 * The fields of a packet as it travels (§2.1): a transport error; an unencrypted message (auth_key_id 0, msg_id,
 * length, message); or auth_key_id, msg_key and the ciphertext. auth_key_id is printed as the unsigned 64-bit value,
 * which is the 8 wire bytes read from the last to the first.
 */
export function wireFields(wire) {
  if (wire.length === 4) return [field('transport error', 0, 4, readInt32(wire, 0))];
  if (wire.length < 24) return [field('too short for MTProto', 0, wire.length, `${wire.length} bytes`)];
  const authKeyId = readInt64(wire, 0);
  if (authKeyId === 0n) {
    const length = readInt32(wire, 16);
    return [
      field('auth_key_id', 0, 8, '0 (unencrypted)'),
      field('msg_id', 8, 8, describeMsgId(readInt64(wire, 8))),
      field('length', 16, 4, length),
      field('message', 20, wire.length - 20, `${wire.length - 20} bytes`),
    ];
  }
  return [
    field('auth_key_id', 0, 8, `${hex64(authKeyId)} (little-endian on the wire)`),
    field('msg_key', 8, 16, hex(wire.subarray(8, 24))),
    field('ciphertext', 24, wire.length - 24, `${wire.length - 24} bytes of AES-256-IGE`),
  ];
}

/**
 * The fields of a decrypted plaintext (§2.1): salt, session_id, msg_id, seq_no, length, message_data and padding.
 * A length that does not fit (a refused packet) is shown as it is, and message_data ends where the plaintext does.
 */
export function plaintextFields(plaintext) {
  const length = readInt32(plaintext, 28);
  const dataLength = Math.max(0, Math.min(length, plaintext.length - 32));
  const seqNo = readInt32(plaintext, 24);
  const paddingLength = plaintext.length - 32 - dataLength;
  return [
    field('salt', 0, 8, hex64(readInt64(plaintext, 0))),
    field('session_id', 8, 8, hex64(readInt64(plaintext, 8))),
    field('msg_id', 16, 8, describeMsgId(readInt64(plaintext, 16))),
    field('seq_no', 24, 4, `${seqNo} (${seqNo & 1 ? 'content-related' : 'not content-related'})`),
    field('length', 28, 4, length),
    field('message_data', 32, dataLength, `${dataLength} bytes`),
    field('padding', 32 + dataLength, paddingLength, `${paddingLength} bytes`),
  ];
}

const describeMsgId = (msgId) => `${msgId} (${msgIdClass(msgId)}, ${msgIdTime(msgId).toISOString()})`;

// ---- capture ----

/**
 * A capture file in the lab's format (docs/lab.md, read by Capture.Read): a header line, then one JSON object per
 * line. Packets are "forwarded" records — they crossed the wire — and a refused one says why in its detail.
 * @param {{started: string, origin: string, records: object[]}} capture records: {at (µs), connection, event,
 *   direction?, index?, detail?, wire?}
 */
export function captureText({ started, origin, records }) {
  const header = {
    format: CAPTURE_FORMAT,
    version: 1,
    started,
    listen: 'browser client',
    upstream: origin,
  };
  return [header, ...records.map(captureRecord)].map((line) => `${JSON.stringify(line)}\n`).join('');
}

function captureRecord(record) {
  const line = {
    t_us: record.at,
    conn: record.connection,
    event: record.event,
  };
  if (record.direction) {
    line.dir = record.direction === 'out' ? 'c2s' : 's2c';
    line.index = record.index;
  }
  if (record.detail !== undefined) line.detail = record.detail;
  if (record.wire) {
    line.length = record.wire.length;
    if (record.wire.length >= 24 && readInt64(record.wire, 0) !== 0n) {
      line.auth_key_id = mt.authKeyIdHex(record.wire);
      line.msg_key = hex(record.wire.subarray(8, 24));
    }
    line.payload = hex(record.wire);
  }
  return line;
}

// ---- the page ----

export class Inspector {
  /** @param {import('./client.js').TestbedClient} client the client whose steps and packets are shown */
  constructor(client) {
    this.client = client;
    this.packets = [];
    this.opens = [];
    this.counts = new Map(); // "connection direction" -> packets so far, for each packet's index
    this.connections = new WeakMap(); // transport -> its number, from 1, as the lab numbers connections
    this.started = new Date().toISOString();
    this.startedMs = performance.now();
    this.#setOpen(!matchMedia('(max-width: 1000px)').matches);
    $('toggle-inspector').addEventListener('click', () => this.#setOpen($('inspector').dataset.open !== 'true'));
    $('reveal').addEventListener('change', () => this.#showKey());
    for (const tab of document.querySelectorAll('[role="tab"]')) tab.addEventListener('click', () => this.#selectTab(tab));
    for (const id of ['filter-constructor', 'filter-direction', 'filter-refused']) {
      $(id).addEventListener('input', () => this.#filter());
    }
    $('export-capture').addEventListener('click', () => this.#export());
  }

  /** One handshake step: its name, how long it took, the public values it produced. */
  step(step) {
    const item = document.createElement('li');
    item.dataset.step = step.name;
    const title = document.createElement('strong');
    title.textContent = step.name;
    const ms = document.createElement('span');
    ms.className = 'ms';
    ms.textContent = ` ${step.ms.toFixed(1)} ms`;
    const detail = document.createElement('pre');
    detail.textContent = json(step.values);
    item.append(title, ms, detail);
    $('timeline').append(item);
  }

  /** The handshake was refused: why, at the end of the timeline. */
  failure(error) {
    const item = document.createElement('li');
    item.className = 'failed';
    item.dataset.step = 'failed';
    item.textContent = `Handshake refused: ${error.message}`;
    $('timeline').append(item);
  }

  /** One packet, sent or received, as the session reported it (with its wire bytes in `wire`). */
  packet(entry) {
    entry.at = new Date();
    entry.atMicros = this.#micros();
    entry.connection = this.#connectionOf(entry);
    entry.index = this.#nextIndex(entry);
    entry.constructors = constructorsOf(entry.body);
    entry.row = this.#row(entry);
    this.packets.push(entry);
    $('packet-count').textContent = this.packets.length;
    $('packet-rows').append(entry.row);
    this.#filterRow(entry);
    if (this.packets.length > MAX_PACKETS) this.packets.shift().row.remove();
  }

  // A packet's number on its connection in its direction, from 1, as the lab's proxy counts them.
  #nextIndex({ connection, direction }) {
    const key = `${connection} ${direction}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    return this.counts.get(key);
  }

  #micros() {
    return Math.round((performance.now() - this.startedMs) * 1000);
  }

  // The client's current transport carried the packet: a packet is reported while it is sent or as it arrives.
  #connectionOf(entry) {
    const transport = this.client.transport;
    if (!this.connections.has(transport)) {
      this.connections.set(transport, this.opens.length + 1);
      this.opens.push({
        at: entry.atMicros,
        connection: this.opens.length + 1,
        event: 'open',
        detail: OPEN_DETAIL[entry.transport] ?? entry.transport,
      });
    }
    return this.connections.get(transport);
  }

  #row(entry) {
    const row = document.createElement('tr');
    if (entry.refused) row.className = 'refused';
    row.dataset.direction = entry.direction;
    if (entry.msgId !== undefined) {
      row.dataset.msgId = entry.msgId.toString();
      row.dataset.msgIdClass = msgIdClass(entry.msgId);
    }
    const cells = [
      entry.direction === 'out' ? '→' : '←',
      entry.msgId?.toString() ?? (entry.handshake ? 'unencrypted' : ''),
      entry.msgId !== undefined ? msgIdTime(entry.msgId).toLocaleTimeString() : entry.at.toLocaleTimeString(),
      entry.seqNo ?? '',
      entry.size,
      objectName(entry),
    ];
    row.replaceChildren(...cells.map((c) => {
      const td = document.createElement('td');
      td.textContent = String(c);
      return td;
    }));
    row.lastElementChild.className = 'object';
    row.addEventListener('click', () => this.#select(entry));
    return row;
  }

  async #select(entry) {
    document.querySelectorAll('#packet-rows tr.selected').forEach((r) => r.classList.remove('selected'));
    entry.row.classList.add('selected');
    const summary = {
      direction: entry.direction === 'out' ? 'sent' : 'received',
      transport: entry.transport,
      connection: entry.connection,
      size: entry.size,
      refused: entry.refused,
      checks: entry.checks,
      msgIdClass: entry.msgId !== undefined ? msgIdClass(entry.msgId) : undefined,
    };
    $('packet-summary').textContent = json(summary);
    const plaintext = await this.#plaintext(entry);
    const groups = [{
      pane: 'wire',
      title: 'outside: the packet on the wire',
      bytes: entry.wire,
      fields: wireFields(entry.wire),
    }];
    if (plaintext) {
      groups.push({
        pane: 'plaintext',
        title: 'inside: the decrypted plaintext',
        bytes: plaintext,
        fields: plaintextFields(plaintext),
      });
    }
    $('packet-fields').replaceChildren(...groups.map((group) => this.#fieldGroup(group)));
    $('packet-bytes').replaceChildren(...groups.map(dump));
    $('packet-object').textContent = entry.body ? json(present(this.client.schema, entry.body)) : '';
  }

  // The plaintext of an encrypted packet under the stored key, or null (unencrypted, a transport error, another key).
  async #plaintext(entry) {
    const { authKey, keyId } = this.client.saved;
    const wire = entry.wire;
    const whole = wire.length >= 24 + 32 && (wire.length - 24) % 16 === 0;
    if (!authKey || !whole || hex(wire.subarray(0, 8)) !== keyId) return null;
    const x = entry.direction === 'out' ? mt.CLIENT_TO_SERVER : mt.SERVER_TO_CLIENT;
    return mt.openPlaintext(fromHex(authKey), x, wire);
  }

  #fieldGroup({ pane, title, fields }) {
    const group = document.createElement('li');
    group.textContent = title;
    const list = document.createElement('ol');
    list.append(...fields.map((f) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.pane = pane;
      button.dataset.field = f.name;
      button.dataset.offset = f.offset;
      button.dataset.length = f.length;
      button.textContent = `${f.name} = ${f.value}`;
      button.title = `bytes ${f.offset}..${f.offset + f.length - 1}`;
      button.addEventListener('click', () => highlight(button));
      item.append(button);
      return item;
    }));
    group.append(list);
    return group;
  }

  #filter() {
    for (const entry of this.packets) this.#filterRow(entry);
  }

  #filterRow(entry) {
    entry.row.hidden = !this.#matches(entry);
  }

  #matches(entry) {
    const name = $('filter-constructor').value.trim().toLowerCase();
    const direction = $('filter-direction').value;
    if (name && !entry.constructors.some((c) => c.toLowerCase().includes(name))) return false;
    if (direction && entry.direction !== direction) return false;
    return !$('filter-refused').checked || entry.refused !== undefined;
  }

  // The shown packets, as a capture file the lab's tools read (with the opening of every connection).
  #export() {
    const records = [...this.opens, ...this.packets.filter((p) => this.#matches(p)).map((p) => ({
      at: p.atMicros,
      connection: p.connection,
      event: 'forwarded',
      direction: p.direction,
      index: p.index,
      detail: p.refused === undefined ? undefined : `refused by the browser: ${p.refused}`,
      wire: p.wire,
    }))].sort((a, b) => a.at - b.at);
    const text = captureText({
      started: this.started,
      origin: location.origin,
      records,
    });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([text], { type: 'application/jsonl' }));
    link.download = `browser-capture-${this.started.replace(/[:.]/g, '-')}.jsonl`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 0);
  }

  #setOpen(open) {
    $('inspector').dataset.open = String(open);
    $('toggle-inspector').setAttribute('aria-expanded', String(open));
  }

  #showKey() {
    $('auth-key').hidden = !$('reveal').checked;
    $('auth-key').textContent = $('reveal').checked ? this.client.saved.authKey ?? '(no key yet)' : '';
  }

  #selectTab(tab) {
    for (const other of document.querySelectorAll('[role="tab"]')) other.setAttribute('aria-selected', String(other === tab));
    $('tab-handshake').hidden = tab.dataset.tab !== 'handshake';
    $('tab-packets').hidden = tab.dataset.tab !== 'packets';
  }
}

/** What the table's object column says: the refusal, a container's contents, or the constructor. */
function objectName(entry) {
  if (entry.refused) return `refused: ${entry.refused}`;
  if (entry.body?._ === 'msg_container') return `container [${entry.body.messages.map((m) => m.body._).join(', ')}]`;
  return entry.body?._ ?? '';
}

/** A hex dump, 16 bytes a line; each byte names its field (title) and fields alternate in shade. */
function dump({ pane, title, bytes, fields }) {
  const figure = document.createElement('figure');
  figure.className = 'dump';
  figure.dataset.pane = pane;
  const caption = document.createElement('figcaption');
  const shown = Math.min(bytes.length, MAX_DUMP_BYTES);
  caption.textContent = `${title} (${bytes.length} bytes${shown < bytes.length ? `, the first ${shown} shown` : ''})`;
  const lines = document.createElement('div');
  lines.className = 'hex';
  const owner = new Array(shown);
  fields.forEach((f, i) => {
    for (let at = f.offset; at < Math.min(f.offset + f.length, shown); at++) owner[at] = i;
  });
  for (let line = 0; line < shown; line += 16) {
    const row = document.createElement('div');
    const offset = document.createElement('span');
    offset.className = 'offset';
    offset.textContent = line.toString(16).padStart(4, '0');
    row.append(offset);
    for (let at = line; at < Math.min(line + 16, shown); at++) {
      const byte = document.createElement('span');
      byte.dataset.offset = at;
      byte.textContent = bytes[at].toString(16).padStart(2, '0');
      if (owner[at] !== undefined) {
        byte.title = fields[owner[at]].name;
        byte.className = `field-${owner[at] % 2}`;
      }
      row.append(byte);
    }
    lines.append(row);
  }
  figure.append(caption, lines);
  return figure;
}

/** Marks the bytes of the field a button names, in its pane, and the button as the selected field. */
function highlight(button) {
  for (const pressed of document.querySelectorAll('#packet-fields button[aria-pressed="true"]')) {
    pressed.setAttribute('aria-pressed', 'false');
  }
  button.setAttribute('aria-pressed', 'true');
  document.querySelectorAll('#packet-bytes span.mark').forEach((s) => s.classList.remove('mark'));
  const from = Number(button.dataset.offset);
  const to = from + Number(button.dataset.length);
  const bytes = document.querySelectorAll(`#packet-bytes .dump[data-pane="${button.dataset.pane}"] span[data-offset]`);
  for (const byte of bytes) {
    const at = Number(byte.dataset.offset);
    if (at >= from && at < to) byte.classList.add('mark');
  }
  document.querySelector('#packet-bytes span.mark')?.scrollIntoView({ block: 'nearest' });
}
