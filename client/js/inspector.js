// The protocol inspector: the handshake's steps as the client takes them, and every packet both ways with its
// header, the checks it passed or why it was refused, and the decrypted object. It only reads what the client
// reports through its `step` and `packet` callbacks (and the key, when "reveal the auth key" is ticked).
import { hex } from './bytes.js';
import { msgIdClass, msgIdTime } from './msgid.js';

const $ = (id) => document.getElementById(id);

/** The most packets kept; older ones leave the table. */
const MAX_PACKETS = 1000;

const json = (value) => JSON.stringify(value, (key, v) => {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) {
    const decoded = new TextDecoder('utf-8', { fatal: false }).decode(v);
    return /^[\p{L}\p{N}\p{P}\p{Zs}]*$/u.test(decoded) && v.length > 0 && v.length < 200 ? `"${decoded}" (${v.length} bytes)` : `hex:${hex(v)}`;
  }
  return v;
}, 2);

export class Inspector {
  /** @param {import('./client.js').TestbedClient} client the client whose steps and packets are shown */
  constructor(client) {
    this.client = client;
    this.packets = [];
    $('toggle-inspector').addEventListener('click', () => $('inspector').classList.toggle('open'));
    $('reveal').addEventListener('change', () => this.#showKey());
    for (const tab of document.querySelectorAll('[role="tab"]')) tab.addEventListener('click', () => this.#selectTab(tab));
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

  /** One packet, sent or received, as the session reported it. */
  packet(entry) {
    entry.at = new Date();
    this.packets.push(entry);
    $('packet-count').textContent = this.packets.length;
    const row = document.createElement('tr');
    if (entry.refused) row.className = 'refused';
    row.dataset.direction = entry.direction;
    if (entry.msgId !== undefined) { row.dataset.msgId = entry.msgId.toString(); row.dataset.msgIdClass = msgIdClass(entry.msgId); }
    const name = entry.refused ? `refused: ${entry.refused}` : entry.body?._ === 'msg_container'
      ? `container [${entry.body.messages.map((m) => m.body._).join(', ')}]` : entry.body?._ ?? '';
    const cells = [entry.direction === 'out' ? '→' : '←', entry.msgId?.toString() ?? (entry.handshake ? 'unencrypted' : ''),
      entry.msgId !== undefined ? msgIdTime(entry.msgId).toLocaleTimeString() : entry.at.toLocaleTimeString(),
      entry.seqNo ?? '', entry.size, name];
    row.replaceChildren(...cells.map((c) => { const td = document.createElement('td'); td.textContent = String(c); return td; }));
    row.addEventListener('click', () => {
      document.querySelectorAll('#packet-rows tr.selected').forEach((r) => r.classList.remove('selected'));
      row.classList.add('selected');
      const { body, at, ...meta } = entry;
      $('packet-detail').textContent = json({ ...meta, msgIdClass: entry.msgId !== undefined ? msgIdClass(entry.msgId) : undefined,
        msgIdTime: entry.msgId !== undefined ? msgIdTime(entry.msgId).toISOString() : undefined, object: body });
    });
    $('packet-rows').append(row);
    if (this.packets.length > MAX_PACKETS) { this.packets.shift(); $('packet-rows').firstElementChild.remove(); }
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
