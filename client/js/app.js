// The chat UI over TestbedClient, wired to the protocol inspector (inspector.js). Messages are kept per peer by id,
// so a message that arrives twice (an update and the history, or a re-send) is shown once; sends carry a random_id
// and are retried with the same one after a reconnection, which the server turns into one message. A send the
// server refuses stays in the conversation with the reason, to retry or edit.
import { random, readInt64 } from './bytes.js';
import { Inspector } from './inspector.js';
import { RpcError } from './session.js';
import { TestbedClient } from './client.js';

const $ = (id) => document.getElementById(id);
const text = (bytes) => new TextDecoder().decode(bytes);
const encode = (value) => new TextEncoder().encode(value);

const params = new URLSearchParams(location.search);
const transportKind = params.get('transport') ?? localStorage.getItem('testbed.transport') ?? 'websocket';
$('transport').value = transportKind;
// ?handshake-timeout=MS: how long a handshake step waits for its answer (the client's default when absent).
const handshakeTimeout = params.has('handshake-timeout') ? Number(params.get('handshake-timeout')) : undefined;

const state = {
  me: null,
  users: new Map(),
  peer: null,
  messages: new Map(),
  unread: new Map(),
  lastId: 0n,
  outbox: new Map(), // random_id -> {to, text, error?}: sending, or refused with error
};

const client = new TestbedClient({
  transport: transportKind,
  handshakeTimeoutMs: handshakeTimeout,
  on: {
    status: showStatus,
    step: (step) => inspector.step(step),
    packet: (entry) => inspector.packet(entry),
    update: onUpdate,
    connected: onConnected,
    failed: showFailure,
  },
});
const inspector = new Inspector(client);
window.testbed = client; // for the end-to-end tests and the curious

// ---- chat ----

async function onConnected(reconnected) {
  $('keep').checked = client.kept;
  try {
    state.me = await client.call({ _: 'chat.getSelf' });
    showMe();
  } catch (e) {
    if (!(e instanceof RpcError && e.code === 401)) return; // the connection failed: the client reconnects and calls again
    $('register').hidden = false;
    $('name').focus();
  }
  if (state.me) await refresh(reconnected).catch(() => {}); // likewise
}

async function refresh(reconnected) {
  const { users } = await client.call({ _: 'chat.getUsers' });
  users.forEach(addUser);
  // Catch up on what arrived while away (the server's history is the source of truth).
  for (;;) {
    const { messages } = await client.call({
      _: 'chat.getDifference',
      after_id: state.lastId,
      limit: 100,
    });
    messages.forEach(addMessage);
    if (messages.length < 100) break;
  }
  for (const [randomId, pending] of state.outbox) {
    if (!pending.error) sendMessage(pending.to, pending.text, randomId); // cut off by the disconnection: sent again
  }
  renderUsers();
  if (state.peer !== null && reconnected) renderMessages();
}

function showMe() {
  $('register').hidden = true;
  $('me').textContent = `You are ${text(state.me.name)} (#${state.me.id})`;
  $('me').dataset.userId = state.me.id.toString();
}

$('register').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    state.me = await client.call({ _: 'chat.register', name: encode($('name').value) });
    $('register-error').textContent = '';
    showMe();
    await refresh(false);
  } catch (e) {
    $('register-error').textContent = e instanceof RpcError ? e.errorMessage : e.message;
  }
});

function addUser(user) {
  state.users.set(user.id, user);
}

function renderUsers() {
  const list = $('users');
  list.replaceChildren(...[...state.users.values()].filter((u) => u.id !== state.me?.id).map((user) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.userId = user.id.toString();
    button.setAttribute('aria-current', String(user.id === state.peer));
    const name = document.createElement('span');
    name.textContent = text(user.name);
    if (user.online) name.className = 'online';
    button.append(name);
    const unread = state.unread.get(user.id) ?? 0;
    if (unread) {
      const badge = document.createElement('span');
      badge.className = 'unread';
      badge.textContent = unread;
      button.append(badge);
    }
    button.addEventListener('click', () => openConversation(user.id));
    item.append(button);
    return item;
  }));
}

async function openConversation(peerId) {
  state.peer = peerId;
  state.unread.delete(peerId);
  $('peer').textContent = text(state.users.get(peerId).name);
  $('text').disabled = false;
  $('composer').querySelector('button').disabled = false;
  renderUsers();
  renderMessages();
  const { messages } = await client.call({
    _: 'chat.getHistory',
    peer_id: peerId,
    offset_id: 0n,
    limit: 100,
  });
  messages.forEach(addMessage);
  renderMessages();
  $('text').focus();
}

const peerOf = (m) => (m.from_id === state.me.id ? m.to_id : m.from_id);

function addMessage(message) {
  const peer = peerOf(message);
  if (!state.messages.has(peer)) state.messages.set(peer, new Map());
  const isNew = !state.messages.get(peer).has(message.id);
  state.messages.get(peer).set(message.id, message);
  if (message.id > state.lastId) state.lastId = message.id;
  const pending = state.outbox.get(message.random_id);
  if (message.from_id === state.me.id && pending?.to === message.to_id) state.outbox.delete(message.random_id);
  return isNew;
}

function renderMessages() {
  const list = $('messages');
  const known = [...(state.messages.get(state.peer)?.values() ?? [])].sort((a, b) => (a.id < b.id ? -1 : 1));
  const pending = [...state.outbox.entries()].filter(([, p]) => p.to === state.peer);
  list.replaceChildren(
    ...known.map((m) => bubble(text(m.text), m.from_id === state.me.id, new Date(m.date * 1000), false, m.id)),
    ...pending.map(([randomId, p]) => (p.error ? refusedBubble(randomId, p) : bubble(p.text, true, null, true))));
  list.scrollTop = list.scrollHeight;
}

function bubble(body, mine, date, pending, id) {
  const item = document.createElement('li');
  item.className = `${mine ? 'mine' : 'theirs'}${pending ? ' pending' : ''}`;
  if (id !== undefined) item.dataset.messageId = id.toString();
  item.textContent = body;
  const time = document.createElement('time');
  time.textContent = pending ? 'sending…' : date.toLocaleTimeString();
  item.append(time);
  return item;
}

// The server's limit counts UTF-16 code units (C#'s string.Length), as String.length does here. Near it, a counter;
// past it, a warning — the text is never cut, and sending it anyway gets the server's MESSAGE_TOO_LONG beside it.
const MAX_TEXT = 4096;
const COUNTER_FROM = MAX_TEXT - 200;

/** What the server's refusal means to the writer. */
const SEND_ERRORS = {
  MESSAGE_TOO_LONG: `longer than ${MAX_TEXT} characters`,
  MESSAGE_EMPTY: 'nothing but spaces',
  PEER_ID_INVALID: 'no such user',
};

/** A message the server refused: its text, the reason in a warning style, and Retry / Edit. */
function refusedBubble(randomId, pending) {
  const item = document.createElement('li');
  item.className = 'mine failed';
  item.textContent = pending.text;
  const problem = document.createElement('p');
  problem.className = 'send-error';
  problem.dataset.testid = 'send-error';
  problem.setAttribute('role', 'alert');
  const meaning = SEND_ERRORS[pending.error];
  problem.textContent = `not sent: ${pending.error}${meaning ? ` (${meaning})` : ''}`;
  item.append(
    problem,
    actionButton('Retry', 'retry-send', () => sendMessage(pending.to, pending.text, randomId)),
    actionButton('Edit', 'edit-send', () => editRefused(randomId)));
  return item;
}

function actionButton(label, testId, onClick) {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = label;
  button.dataset.testid = testId;
  button.addEventListener('click', onClick);
  return button;
}

/** Takes a refused message back into the composer. */
function editRefused(randomId) {
  $('text').value = state.outbox.get(randomId).text;
  state.outbox.delete(randomId);
  renderMessages();
  showCounter();
  $('text').focus();
}

function onUpdate(update) {
  if (update._ === 'chat.updateUser') {
    addUser(update.user);
    renderUsers();
    return;
  }
  if (update._ !== 'chat.updateNewMessage' || !state.me) return;
  const message = update.message;
  if (!addMessage(message)) return;
  const peer = peerOf(message);
  if (peer === state.peer) renderMessages();
  else if (message.from_id !== state.me.id) {
    state.unread.set(peer, (state.unread.get(peer) ?? 0) + 1);
    renderUsers();
  }
}

async function sendMessage(to, body, randomId) {
  state.outbox.set(randomId, { to, text: body });
  if (to === state.peer) renderMessages();
  try {
    addMessage(await client.call({
      _: 'chat.sendMessage',
      to_id: to,
      random_id: randomId,
      text: encode(body),
    }));
    if (to === state.peer) renderMessages();
  } catch (e) {
    // A connection that dropped leaves the message in the outbox, sent again (same random_id) on reconnection.
    if (!(e instanceof RpcError)) return;
    state.outbox.set(randomId, { to, text: body, error: e.errorMessage });
    if (to === state.peer) renderMessages();
  }
}

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const body = $('text').value;
  if (!body.trim() || state.peer === null) return;
  $('text').value = '';
  showCounter();
  sendMessage(state.peer, body, readInt64(random(8), 0));
});

function showCounter() {
  const length = $('text').value.length;
  const counter = $('counter');
  counter.hidden = length < COUNTER_FROM;
  counter.dataset.over = String(length > MAX_TEXT);
  counter.textContent = length > MAX_TEXT ? `${length} / ${MAX_TEXT}: ${length - MAX_TEXT} too many` : `${length} / ${MAX_TEXT}`;
}

$('text').addEventListener('input', showCounter);

// ---- header ----

function showStatus(message, kind) {
  $('status').textContent = message;
  $('status').dataset.state = kind;
}

$('transport').addEventListener('change', () => {
  localStorage.setItem('testbed.transport', $('transport').value);
  location.search = '';
});

$('keep').addEventListener('change', () => client.keep($('keep').checked));

$('forget').addEventListener('click', () => {
  client.forgetKey();
  location.reload();
});

function showFailure(error) {
  $('status').textContent = `refused: ${error.message}`;
  $('status').dataset.state = 'failed';
  inspector.failure(error);
}

client.start().catch(showFailure);
