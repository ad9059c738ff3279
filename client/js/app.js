// The chat UI over TestbedClient, wired to the protocol inspector (inspector.js). Messages are kept per peer by id,
// so a message that arrives twice (an update and the history, or a re-send) is shown once; sends carry a random_id
// and are retried with the same one after a reconnection, which the server turns into one message.
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

const state = { me: null, users: new Map(), peer: null, messages: new Map(), unread: new Map(), lastId: 0n, outbox: new Map() };

const client = new TestbedClient({
  transport: transportKind,
  on: {
    status: (message, kind) => { $('status').textContent = message; $('status').dataset.state = kind; },
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
    const { messages } = await client.call({ _: 'chat.getDifference', after_id: state.lastId, limit: 100 });
    messages.forEach(addMessage);
    if (messages.length < 100) break;
  }
  for (const [randomId, pending] of state.outbox) sendMessage(pending.to, pending.text, randomId); // retried sends
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
    if (unread) { const badge = document.createElement('span'); badge.className = 'unread'; badge.textContent = unread; button.append(badge); }
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
  const { messages } = await client.call({ _: 'chat.getHistory', peer_id: peerId, offset_id: 0n, limit: 100 });
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
  for (const [randomId, pending] of state.outbox) if (pending.to === message.to_id && message.random_id === randomId && message.from_id === state.me.id) state.outbox.delete(randomId);
  return isNew;
}

function renderMessages() {
  const list = $('messages');
  const known = [...(state.messages.get(state.peer)?.values() ?? [])].sort((a, b) => (a.id < b.id ? -1 : 1));
  const pending = [...state.outbox.entries()].filter(([, p]) => p.to === state.peer);
  list.replaceChildren(
    ...known.map((m) => bubble(text(m.text), m.from_id === state.me.id, new Date(m.date * 1000), false, m.id)),
    ...pending.map(([, p]) => bubble(p.text, true, null, true)));
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

function onUpdate(update) {
  if (update._ === 'chat.updateUser') { addUser(update.user); renderUsers(); return; }
  if (update._ !== 'chat.updateNewMessage' || !state.me) return;
  const message = update.message;
  if (!addMessage(message)) return;
  const peer = peerOf(message);
  if (peer === state.peer) renderMessages();
  else if (message.from_id !== state.me.id) { state.unread.set(peer, (state.unread.get(peer) ?? 0) + 1); renderUsers(); }
}

async function sendMessage(to, body, randomId) {
  state.outbox.set(randomId, { to, text: body });
  if (to === state.peer) renderMessages();
  try {
    addMessage(await client.call({ _: 'chat.sendMessage', to_id: to, random_id: randomId, text: encode(body) }));
    if (to === state.peer) renderMessages();
  } catch (e) {
    if (e instanceof RpcError) { state.outbox.delete(randomId); $('status').textContent = `not sent: ${e.errorMessage}`; renderMessages(); }
    // otherwise the connection dropped: the message stays in the outbox and is sent again, same random_id, on reconnect
  }
}

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const body = $('text').value;
  if (!body.trim() || state.peer === null) return;
  $('text').value = '';
  sendMessage(state.peer, body, readInt64(random(8), 0));
});

// ---- header ----

$('transport').addEventListener('change', () => {
  localStorage.setItem('testbed.transport', $('transport').value);
  location.search = '';
});

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
