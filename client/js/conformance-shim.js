// The browser client's side of the client suite's shim contract (docs/client-shims.md, version 1): conformance.html
// is opened with one run in its address, runs the scenario's steps with the real client (TestbedClient, Session,
// the handshake) against the hostile server, and reports each event as the console line "SHIM-EVENT {json}" (which
// the browser shim relays to its standard output) and in window.shimEvents. The shim never judges.
//
// Address: ?host=H&port=P&framing=obfuscated-intermediate|intermediate&rsa-key=BASE64URL(PEM)&dc=N
//          &scenario=handshake,ping:3,rpc,idle:1&step-seconds=S[&fault=NAME…] (faults: faults.js reads them)
import { fromHex } from './bytes.js';
import { TestbedClient } from './client.js';
import { authKeyIdHex } from './mtproto.js';
import { RpcError } from './session.js';

const PROTOCOL = 1;
// The client has no version of its own beyond the checkout's (the browser shim's --describe says the same); the
// browser's is reported beside it.
const CLIENT = 'testbed-browser';
const VERSION = 'repository';
const BROWSER = navigator.userAgent;

/** The contract's framings this page can run, as TestbedClient's WebSocket transports. */
const FRAMINGS = {
  'obfuscated-intermediate': 'websocket',
  intermediate: 'websocket-plain',
};

const params = new URLSearchParams(location.search);
const stepSeconds = Number(params.get('step-seconds') ?? 5);
window.shimEvents = [];

function emit(event) {
  window.shimEvents.push(event);
  const line = JSON.stringify(event);
  console.log(`SHIM-EVENT ${line}`);
  document.getElementById('events').append(`${line}\n`);
}

/** A Storage of this run only: every run starts with no auth key (the contract), whatever the browser kept. */
function memoryStorage() {
  const items = new Map();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection once the step's time is up. */
function withinStep(promise, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${stepSeconds} s`)), stepSeconds * 1000);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Base64url (the address's) to text. */
const fromBase64Url = (text) => atob(text.replace(/-/g, '+').replace(/_/g, '/'));

/** A TL value as JSON can carry it: strings as text, longs as decimal strings. */
function plain(value) {
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

class ShimRun {
  constructor() {
    const framing = params.get('framing');
    this.client = new TestbedClient({
      transport: FRAMINGS[framing],
      storage: memoryStorage(),
      shared: memoryStorage(),
      handshakeTimeoutMs: stepSeconds * 1000,
      handshakeAttempts: 1,
      endpoint: {
        websocketUrl: `ws://${params.get('host')}:${params.get('port')}/apiws`,
        rsaKeyPem: fromBase64Url(params.get('rsa-key') ?? ''),
        dc: Number(params.get('dc') ?? 1),
      },
      on: {
        status: (text) => { this.status = text; },
        update: (body) => emit(updateEvent(body)),
      },
    });
    this.status = '';
  }

  /** Runs the steps in order; after a failed handshake no later step can run. */
  async run(steps) {
    for (const step of steps) {
      const [name, argument] = step.split(':');
      try {
        await this.#step(name, argument);
      } catch (e) {
        emit({ event: 'error', step, message: e.message });
        if (name === 'handshake') return;
      }
    }
  }

  async #step(name, argument) {
    switch (name) {
      case 'handshake': {
        await withinStep(this.client.start(), 'handshake');
        const { keyId } = this.client.saved;
        if (!keyId) throw new Error(this.status || 'no auth key');
        emit({ event: 'auth_key', id: authKeyIdHex(fromHex(keyId)) });
        return;
      }
      case 'ping':
        for (let i = 1; i <= Number(argument ?? 1); i++) {
          try {
            const pong = await this.#call({ _: 'ping', ping_id: BigInt(i) }, 'ping');
            emit({ event: 'pong', ping_id: pong.ping_id.toString() });
          } catch (e) {
            emit({ event: 'error', step: `ping:${argument}`, message: `ping ${i}: ${e.message}` });
          }
        }
        return;
      case 'rpc':
        try {
          const result = await this.#call({ _: 'help.getNearestDc' }, 'rpc');
          const fields = Object.entries(result).filter(([key]) => key !== '_').map(([key, value]) => [key, plain(value)]);
          emit({ event: 'rpc_result', name: result._, ...Object.fromEntries(fields) });
        } catch (e) {
          if (!(e instanceof RpcError)) throw e;
          emit({ event: 'rpc_error', code: e.code, message: e.errorMessage });
        }
        return;
      case 'idle':
        await sleep(Number(argument ?? 1) * 1000);
        return;
      default:
        throw new Error(`unknown step '${name}'`);
    }
  }

  /**
   * One call, unwrapped, within the step's time. When it fails because the connection closed, the client (which
   * reconnects by itself to the same key and session) gets the step's time to reconnect, and the call is retried
   * once, as an application would (docs/client-shims.md; the rules' shim behaviour).
   */
  async #call(body, what) {
    const transport = this.client.transport;
    try {
      return await withinStep(this.client.session.call(body), what);
    } catch (e) {
      if (e instanceof RpcError || (transport.isOpen && this.client.transport === transport)) throw e;
      await withinStep(this.#reconnected(transport), `${what}: reconnecting`);
      return withinStep(this.client.session.call(body), `${what} (retried on a new connection)`);
    }
  }

  /** Resolves once the client is connected again on a connection other than `closed` (polled, bounded by the step). */
  async #reconnected(closed) {
    for (let i = 0; i < stepSeconds * 20; i++) {
      const now = this.client.transport;
      if (now !== closed && now?.isOpen && this.client.session?.transport === now) return;
      await sleep(50);
    }
    throw new Error('not reconnected');
  }
}

/** An update event: the constructor's name and its date when it has one. */
function updateEvent(body) {
  return typeof body.date === 'number'
    ? { event: 'update', name: body._, date: body.date }
    : { event: 'update', name: body._ };
}

async function main() {
  emit({
    event: 'start',
    protocol: PROTOCOL,
    client: CLIENT,
    version: VERSION,
    browser: BROWSER,
  });
  let run;
  try {
    if (!FRAMINGS[params.get('framing')]) {
      emit({ event: 'unsupported', reason: `framing ${params.get('framing')} (this page: ${Object.keys(FRAMINGS).join(', ')})` });
      return;
    }
    run = new ShimRun();
    await run.run((params.get('scenario') ?? '').split(',').filter(Boolean));
  } catch (e) {
    emit({ event: 'error', step: 'shim', message: e.message });
  } finally {
    run?.client.stop();
    emit({ event: 'closed' });
  }
}

main();
