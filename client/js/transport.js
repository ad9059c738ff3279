// Transports (docs/protocol.md §6): WebSocket to /apiws carrying the intermediate framing, obfuscated as the spec
// asks of WebSocket clients (plain is kept for the inspector, where a reader wants to see the frames as sent), and
// HTTP POST /api. Both hand whole packets to `onPacket`; a transport error arrives as a 4-byte packet holding the
// negative code.
import { OBFUSCATION_TAGS, openObfuscation } from './obfuscation.js';

const INTERMEDIATE_MARKER = Uint8Array.of(0xee, 0xee, 0xee, 0xee);
const MAX_PACKET = 1 << 20;

export class WebSocketTransport {
  onPacket = () => {};
  onClose = () => {};
  #socket;
  #buffer = new Uint8Array(0);
  #opening;
  #obfuscation = null;

  constructor(obfuscated, dcId) {
    this.name = obfuscated ? 'websocket' : 'websocket-plain';
    if (obfuscated) {
      this.#obfuscation = openObfuscation(OBFUSCATION_TAGS.intermediate, dcId);
      this.#opening = this.#obfuscation.header;
    } else {
      this.#opening = INTERMEDIATE_MARKER;
    }
  }

  /**
   * Opens a WebSocket and resolves once it is connected. `obfuscated` picks the obfuscated intermediate framing, whose
   * header names the DC `dcId` (the server's, from /server-info).
   */
  static connect(url, { obfuscated = true, dcId = 1 } = {}) {
    return new Promise((resolve, reject) => {
      const transport = new WebSocketTransport(obfuscated, dcId);
      const socket = new WebSocket(url, 'binary');
      socket.binaryType = 'arraybuffer';
      socket.onopen = () => resolve(transport);
      socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
      socket.onclose = (event) => transport.onClose(event.reason || `closed (${event.code})`);
      socket.onmessage = (event) => transport.#receive(new Uint8Array(event.data));
      transport.#socket = socket;
    });
  }

  get isOpen() { return this.#socket.readyState === WebSocket.OPEN; }

  /** Sends one packet in an intermediate frame; the connection's first message opens with the marker or the header. */
  async send(packet) {
    const frame = new Uint8Array(4 + packet.length);
    new DataView(frame.buffer).setUint32(0, packet.length, true);
    frame.set(packet, 4);
    const body = this.#obfuscation ? this.#obfuscation.encrypt(frame) : frame;
    const message = new Uint8Array(this.#opening.length + body.length);
    message.set(this.#opening);
    message.set(body, this.#opening.length);
    this.#opening = new Uint8Array(0);
    this.#socket.send(message);
  }

  close() { this.#socket.close(); }

  #receive(received) {
    const bytes = this.#obfuscation ? this.#obfuscation.decrypt(received) : received;
    const joined = new Uint8Array(this.#buffer.length + bytes.length);
    joined.set(this.#buffer);
    joined.set(bytes, this.#buffer.length);
    let offset = 0;
    while (joined.length - offset >= 4) {
      const length = new DataView(joined.buffer, offset, 4).getUint32(0, true) & 0x7fffffff;
      if (length > MAX_PACKET) {
        this.#socket.close(4000, 'oversized frame');
        return;
      }
      if (joined.length - offset - 4 < length) break;
      const packet = joined.slice(offset + 4, offset + 4 + length);
      offset += 4 + length;
      this.onPacket(packet);
    }
    this.#buffer = joined.slice(offset);
  }
}

export class HttpTransport {
  name = 'http';
  onPacket = () => {};
  onClose = () => {};
  isOpen = true;

  constructor(url) { this.url = url; }

  /**
   * Posts one packet; the answer (if any) goes to onPacket. Resolves when the answer has been handled, so a session
   * that waits for it knows the server has processed this packet before it posts the next (see Session#send).
   */
  async send(packet) {
    const response = await fetch(this.url, {
      method: 'POST',
      body: packet,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    const body = new Uint8Array(await response.arrayBuffer());
    if (!response.ok) {
      const code = new Uint8Array(4);
      new DataView(code.buffer).setInt32(0, -response.status, true);
      await this.onPacket(code);
    } else if (body.length > 0) {
      await this.onPacket(body);
    }
  }

  close() { this.isOpen = false; this.onClose('closed'); }
}
