// msg_id generation (docs/protocol.md §3.1): unix time in the high 32 bits, a fraction of a second below, the two
// low bits 0 for a client; strictly increasing even when the clock stands still or steps back. The offset is
// server time minus local time, from the handshake and corrected by bad_msg_notification 16/17/20.

export class MsgIdGenerator {
  constructor(offsetSeconds = 0) {
    this.offsetSeconds = offsetSeconds;
    this.last = 0n;
  }

  next() {
    const now = Date.now() / 1000 + this.offsetSeconds;
    const seconds = BigInt(Math.floor(now));
    const fraction = BigInt(Math.floor((now % 1) * 2 ** 32)) & ~3n;
    let id = (seconds << 32n) | fraction;
    if (id <= this.last) id = this.last + 4n;
    this.last = id;
    return id;
  }

  /** Lets the next id follow the (corrected) clock even if that is below the last one: after bad_msg_notification 17 only. */
  rewind() {
    this.last = 0n;
  }
}

/** The time a msg_id carries, in seconds with its fraction (a double keeps it to well under a microsecond). */
export const msgIdSeconds = (msgId) => Number(BigInt.asUintN(64, msgId)) / 2 ** 32;

/** The time a msg_id carries, as a Date. */
export const msgIdTime = (msgId) => new Date(Number(BigInt.asUintN(64, msgId) >> 32n) * 1000);

/** Which of the four classes the two low bits name (§3.1). */
export const msgIdClass = (msgId) => ['client', 'server response', 'invalid', 'server notification'][Number(BigInt.asUintN(64, msgId) & 3n)];
