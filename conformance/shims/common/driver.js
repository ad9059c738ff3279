'use strict';
// The shim contract, version 1 (docs/interop.md, "The shim contract"): one runner drives every client through a
// small program per client, as BoringSSL's BoGo runner drives TLS stacks through shims. This file is the part every
// shim shares: the command line in, the scenario's steps run in order with a deadline each, and one JSON object per
// line out. A client's shim only supplies an adapter (see ADAPTER below); it never decides a verdict, the runner does.
//
// ADAPTER (<client>/adapter.js, shared with the client contract's ./client-driver.js) = {
//   client, version,                       // npm package name and the version installed (from its package.json)
//   transports: [pairs],                   // docs/client-shims.md's transport/framing pairs, preferred first
//   ownPingIds,                            // true when the library pings with ids of its own choosing (mtcute)
//   fixes: { name: apply() },              // runtime fixes of the client's known bugs (applied only with --fix name)
//   open(options, savedKey) -> session,    // connect; savedKey is the key bytes from --session, or null
// }
// session = { authKey() -> Buffer (or its promise), ping(id) -> pong id, invoke(request) -> { result: its name },
//             cut(), close(), and optionally futureSalts(n) -> count }
// A shim names its transports as the interop matrix does (`full`, `ws-obfuscated`, ...) and maps them to pairs.
// request = { name, body: Buffer (the TL-serialised query, constructor id first) }: the shim sends it through the
// client's own way of sending a custom query, wrapped as the client wraps (invokeWithLayer(initConnection(...))).

const fs = require('fs');
const { rsaKeyFromPem } = require('./rsa-key');
const tl = require('./tl');

const PROTOCOL = 1;
const STEP_SECONDS = 10;

/** `--name value` pairs and repeated `--fix NAME`. */
function parseArguments(argv) {
  const options = { fix: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    if (name === 'fix') options.fix.push(value);
    else options[name] = value;
  }
  for (const required of ['host', 'port', 'transport', 'rsa-key', 'session', 'scenario']) {
    if (!options[required]) throw new Error(`--${required} is required`);
  }
  options.port = Number(options.port);
  options.dc = Number(options.dc || 1);
  return options;
}

/** The full interop scenario (issue 14), as a list of steps. */
const INTEROP = ['handshake', 'ping:20', 'rpc:chat', 'rpc:config', 'reconnect', 'cut', 'key-check'];

/** The version npm installed beside a shim (read from the file: some packages do not export their package.json). */
function installedVersion(shimDirectory, name) {
  return JSON.parse(fs.readFileSync(require('path').join(shimDirectory, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/** An error as the client gave it: an Error, or an rpc_error object (gramjs, mtcute and @mtproto/core differ). */
function describeError(e) {
  if (e && (e.error_code !== undefined || e.errorCode !== undefined || e.code !== undefined) && !(e instanceof Error && e.message)) {
    return `rpc_error ${e.error_code ?? e.errorCode ?? e.code} ${e.error_message ?? e.errorMessage ?? e.text ?? ''}`;
  }
  return String(e && e.message ? e.message : e);
}

function emit(object) {
  process.stdout.write(JSON.stringify(object) + '\n');
}

function withDeadline(promise, seconds, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function hex(buffer) {
  return Buffer.from(buffer).toString('hex');
}

/** auth_key_id: the low 64 bits of SHA-1(auth_key), as sent on the wire. */
function authKeyId(key) {
  if (!key || key.length === 0) throw new Error('the client holds no auth key (it dropped its key)');
  return hex(require('crypto').createHash('sha1').update(key).digest().subarray(12, 20));
}

function savedKey(path) {
  return fs.existsSync(path) ? Buffer.from(fs.readFileSync(path, 'utf8').trim(), 'hex') : null;
}

async function runStep(step, state, adapter, options) {
  const [name, argument] = step.split(':');
  switch (name) {
    case 'handshake': {
      state.session = await adapter.open(options, savedKey(options.session));
      const key = await state.session.authKey();
      fs.writeFileSync(options.session, hex(key));
      state.firstKeyId = authKeyId(key);
      return { auth_key_id: state.firstKeyId };
    }
    case 'ping': {
      const count = Number(argument || 1);
      for (let i = 1; i <= count; i++) {
        const pong = await state.session.ping(BigInt(i));
        if (!adapter.ownPingIds && BigInt(pong) !== BigInt(i)) throw new Error(`pong ${pong} answers ping ${i}`);
      }
      return { count };
    }
    case 'rpc': {
      const request = argument === 'config' ? tl.helpGetConfig() : tl.chatRegister(`interop-${adapter.client}`);
      return state.session.invoke(request);
    }
    case 'future-salts':
      if (!state.session.futureSalts) throw new Error('this shim has no future-salts step');
      return { salts: await state.session.futureSalts(3) };
    case 'reconnect': {
      await state.session.close();
      state.session = await adapter.open(options, savedKey(options.session));
      await state.session.ping(1000n);
      return { auth_key_id: authKeyId(await state.session.authKey()) };
    }
    case 'cut': {
      await state.session.cut();
      await state.session.ping(2000n);
      return {};
    }
    case 'key-check': {
      const now = authKeyId(await state.session.authKey());
      if (now !== state.firstKeyId) throw new Error(`the auth key changed: ${state.firstKeyId} -> ${now}`);
      return { auth_key_id: now };
    }
    default:
      throw new Error(`unknown step '${step}'`);
  }
}

/**
 * Runs the command line against ADAPTER, whose pairs the shim's TRANSPORTS name (interop name -> pair), and exits:
 * 0 when every step passed, 1 when one failed, 2 on usage.
 */
async function main(adapter, transports) {
  let options;
  try {
    options = parseArguments(process.argv.slice(2));
    if (!transports[options.transport]) {
      emit({ event: 'unsupported', reason: `transport '${options.transport}' (this shim: ${Object.keys(transports).join(', ')})` });
      process.exit(2);
    }
    for (const fix of options.fix) {
      if (!adapter.fixes[fix]) throw new Error(`unknown fix '${fix}' (this shim: ${Object.keys(adapter.fixes).join(', ') || 'none'})`);
      adapter.fixes[fix]();
    }
    options.rsaKey = rsaKeyFromPem(fs.readFileSync(options['rsa-key'], 'utf8'));
  } catch (e) {
    emit({ event: 'error', message: e.message });
    process.exit(2);
  }

  emit({ event: 'start', protocol: PROTOCOL, client: adapter.client, version: adapter.version, transport: options.transport, fixes: options.fix });
  options = { ...options, transport: transports[options.transport] };
  const steps = options.scenario.split(',').flatMap((step) => (step === 'interop' ? INTEROP : [step]));
  const state = {};
  let failed = false;
  for (const step of steps) {
    const started = process.hrtime.bigint();
    try {
      const detail = await withDeadline(runStep(step, state, adapter, options), STEP_SECONDS, step);
      emit({ step, ok: true, ms: Number(process.hrtime.bigint() - started) / 1e6, ...detail });
    } catch (e) {
      failed = true;
      emit({ step, ok: false, ms: Number(process.hrtime.bigint() - started) / 1e6, error: describeError(e).slice(0, 300) });
      if (process.env.SHIM_LOG) console.error(e);
      if (!state.session) break;
    }
  }

  try {
    if (state.session) await withDeadline(state.session.close(), 5, 'close');
  } catch (e) {
    emit({ event: 'error', message: `close: ${e.message}` });
  }
  emit({ event: 'closed' });
  process.exit(failed ? 1 : 0);
}

module.exports = { main, installedVersion, emit, withDeadline };
