'use strict';
// The client contract, version 1 (docs/client-shims.md): `client run` drives a client library through this program
// against its hostile server, as BoringSSL's BoGo runner drives a TLS stack through its shim. The shim never judges:
// it runs the scenario's steps and prints, one JSON object a line, what the library told its user. A client's
// `client-shim.js` only hands its adapter (./driver.js, ADAPTER) to `run`; the adapter's `open` gets these options:
//
// options = { host, port, dc, rsaKey (./rsa-key.js), transport: 'tcp/intermediate' (a pair of adapter.transports),
//             onUpdate({ name, date }) (to call for every update the library hands its user unprompted) }
// session = { authKey(), ping(id) -> the ping_id of the pong the library delivered, nearestDc() -> { name,
//             country, this_dc, nearest_dc } (help.getNearestDc as the library wraps its calls), close() }
const fs = require('fs');
const { rsaKeyFromPem } = require('./rsa-key');
const { rpcErrorOf } = require('./rpc-error');
const { emit, withDeadline } = require('./driver');

const PROTOCOL = 1;
const STEP_SECONDS = 5;
const VALUES = ['host', 'port', 'transport', 'framing', 'rsa-key', 'dc', 'scenario', 'step-seconds'];

/** `--name value` pairs (docs/client-shims.md, "Arguments"); `--describe` alone. */
function parseArguments(argv) {
  if (argv.length === 1 && argv[0] === '--describe') return { describe: true };
  const options = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!VALUES.includes(name)) throw new Error(`unknown argument '${argv[i]}'`);
    if (argv[i + 1] === undefined) throw new Error(`--${name} needs a value`);
    options[name] = argv[i + 1];
  }
  for (const required of VALUES.filter((name) => name !== 'step-seconds')) {
    if (!options[required]) throw new Error(`--${required} is required`);
  }
  const seconds = Number(options['step-seconds'] ?? STEP_SECONDS);
  if (!(seconds > 0)) throw new Error(`--step-seconds '${options['step-seconds']}' is not a positive number`);
  return { ...options, port: Number(options.port), dc: Number(options.dc), stepSeconds: seconds, transport: `${options.transport}/${options.framing}` };
}

/** The key's id as the wire carries it: SHA-1(auth_key)'s low 64 bits, read little-endian, as 16 hex digits. */
function authKeyId(key) {
  if (!key || key.length === 0) throw new Error('the library holds no auth key');
  return require('crypto').createHash('sha1').update(key).digest().readBigUInt64LE(12).toString(16).padStart(16, '0');
}

function message(e) {
  return String(e && e.message ? e.message : e).slice(0, 300);
}

/** Runs one step (checkScenario has checked its name); its reports go out as they happen. */
async function runStep(step, state, adapter, options) {
  const [name, argument] = step.split(':');
  const within = (promise) => withDeadline(promise, options.stepSeconds, step);
  switch (name) {
    case 'handshake':
      state.session = await within(adapter.open(options));
      emit({ event: 'auth_key', id: authKeyId(await within(Promise.resolve(state.session.authKey()))) });
      return;
    case 'ping':
      for (let id = 1; id <= Number(argument); id++) {
        try {
          emit({ event: 'pong', ping_id: String(await within(state.session.ping(BigInt(id)))) });
        } catch (e) {
          emit({ event: 'error', step, message: `ping ${id}: ${message(e)}` });
        }
      }
      return;
    case 'rpc':
      try {
        const { name: result, country, this_dc, nearest_dc } = await within(state.session.nearestDc());
        emit({ event: 'rpc_result', name: result, country, this_dc, nearest_dc });
      } catch (e) {
        const rpcError = rpcErrorOf(e);
        if (!rpcError) throw e;
        emit({ event: 'rpc_error', ...rpcError });
      }
      return;
    case 'idle':
      await new Promise((resolve) => setTimeout(resolve, Number(argument) * 1000));
  }
}

/** The step names and their argument (docs/client-shims.md, "Steps"), checked before anything connects. */
function checkScenario(steps) {
  for (const step of steps) {
    if (!/^(handshake|rpc|ping:[1-9][0-9]*|idle:[0-9]+(\.[0-9]+)?)$/.test(step)) throw new Error(`unknown step '${step}'`);
  }
}

function unsupported(reason) {
  emit({ event: 'unsupported', reason });
  process.exit(2);
}

/** Runs the command line against ADAPTER and exits by itself (a library may keep timers or sockets alive). */
async function run(adapter) {
  const identity = { protocol: PROTOCOL, client: adapter.client, version: adapter.version };
  let options;
  try {
    options = parseArguments(process.argv.slice(2));
    if (options.describe) {
      emit({ event: 'describe', ...identity, transports: adapter.transports, faults: [] });
      process.exit(0);
    }
    options.steps = options.scenario.split(',');
    checkScenario(options.steps);
    options.rsaKey = rsaKeyFromPem(fs.readFileSync(options['rsa-key'], 'utf8'));
  } catch (e) {
    emit({ event: 'error', step: 'arguments', message: message(e) });
    process.exit(2);
  }
  if (!adapter.transports.includes(options.transport)) unsupported(`${options.transport} (this library: ${adapter.transports.join(', ')})`);

  emit({ event: 'start', ...identity });
  options.onUpdate = (update) => emit({ event: 'update', ...update });
  const state = {};
  for (const step of options.steps) {
    try {
      await runStep(step, state, adapter, options);
    } catch (e) {
      emit({ event: 'error', step, message: message(e) });
      if (process.env.SHIM_LOG) console.error(e);
      if (!state.session) break;
    }
  }
  try {
    if (state.session) await withDeadline(Promise.resolve(state.session.close()), options.stepSeconds, 'close');
  } catch (e) {
    emit({ event: 'error', step: 'close', message: message(e) });
  }
  emit({ event: 'closed' });
  process.exit(0);
}

module.exports = { run };
