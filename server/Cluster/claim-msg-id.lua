-- Claims one msg_id of one session for the whole cluster (docs/cluster.md, "Shared replay state"): the checks of
-- docs/protocol.md §3.4 against the session's shared window, and the record, in one step. Redis runs a script alone,
-- so between the checks and the record no other node's claim can come: two nodes never both accept one msg_id.
--
-- msg_ids travel as 16 lower-case hex digits. Lua's numbers are doubles and would round a 64-bit msg_id; fixed-width
-- hex of a positive id sorts as the id does, so the window is a sorted set whose scores are all 0, ordered by member.
--
-- KEYS[1]  the session's window
-- KEYS[2]  the epoch: the msg_id of the moment this Redis's state began (set by every node when it connects)
-- ARGV[1]  the msg_id
-- ARGV[2]  when the session's key was made, as a msg_id
-- ARGV[3]  the node's clock now, as a msg_id (the epoch, should the state have been lost since the node connected)
-- ARGV[4]  the window's capacity
-- ARGV[5]  the policy: "d" accept duplicates (a fault), "s" strict order, "b" refuse below the window and the epoch
-- ARGV[6]  seconds the window outlives its last claim
-- KEYS[3]  the session's state (docs/cluster.md, "Sessions across nodes"): "OWNER N M", the node instance that
--          claimed the session's last message, and the server's content-related count and last msg_id in it
-- ARGV[7]  this node instance (no spaces)
-- ARGV[8]  "1" when this node holds none of the session's state (it has just begun to serve it)
-- ARGV[9]  seconds the session's state outlives its last claim
-- ARGV[10] the server's content-related count in the session as this node has it, or "" (SessionJournal)
-- ARGV[11] the server's last msg_id in the session, as 16 hex digits, or ""
--
-- Answers fresh or duplicate, each followed by " taken" when this node must first take the session's state over from
-- the journal; else why the msg_id is refused: below, order, forgotten.
local id, policy, capacity = ARGV[1], ARGV[5], tonumber(ARGV[4])

-- The session is this node's from now on. It is set by the claim itself, so that a take-over costs no round trip of
-- its own unless the session moved; a duplicate moves it too, as its answer must come from the session's state. The
-- owner's counters ride on its claims (SessionJournal); both only grow, as a write the node sent earlier on another
-- connection may arrive later. Answers ' taken' when the session was the cluster's already but not in this node's
-- hands.
local function take_over()
  local owner, count, last = nil, '0', '0000000000000000'
  local state = redis.call('GET', KEYS[3])
  local o, c, l = string.match(state or '', '^(%S+) (%d+) (%x+)$')
  if o then
    owner, count, last = o, c, l
  end
  if owner == ARGV[7] and ARGV[10] ~= '' then
    if tonumber(ARGV[10]) > tonumber(count) then count = ARGV[10] end
    if ARGV[11] > last then last = ARGV[11] end
  end
  redis.call('SET', KEYS[3], ARGV[7] .. ' ' .. count .. ' ' .. last, 'EX', ARGV[9])
  if owner and (owner ~= ARGV[7] or ARGV[8] == '1') then
    return ' taken'
  end
  return ''
end

-- Records the msg_id: the window keeps the newest `capacity` ids (ranks 0 .. -(capacity + 1) are the older ones, if
-- there are more) and lives ARGV[6] seconds past its last claim.
local function record()
  redis.call('ZADD', KEYS[1], 0, id)
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(capacity + 1))
  redis.call('EXPIRE', KEYS[1], ARGV[6])
end

-- The common case, a msg_id above all the session has claimed: no duplicate, not below the window, in order. Nor can
-- it be from before a loss of the state: every id in the window passed the epoch check below when it was claimed (or
-- its key is younger than the epoch), so the epoch is at most the newest of them.
local newest = redis.call('ZRANGE', KEYS[1], -1, -1)[1]
if newest and id > newest then
  record()
  return 'fresh' .. take_over()
end

local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[3]
  redis.call('SET', KEYS[2], epoch)
end

local refuse_old = string.find(policy, 'b', 1, true)
-- A key older than the epoch may have had this msg_id processed before the state was lost (the restart rule, §3.4).
if refuse_old and ARGV[2] < epoch and id < epoch then
  return 'forgotten'
end

if redis.call('ZSCORE', KEYS[1], id) then
  if not string.find(policy, 'd', 1, true) then
    return 'duplicate' .. take_over()
  end
  redis.call('EXPIRE', KEYS[1], ARGV[6])
  return 'fresh' .. take_over()
end

if newest then
  if refuse_old and id < redis.call('ZRANGE', KEYS[1], 0, 0)[1] then
    return 'below'
  end
  if string.find(policy, 's', 1, true) and id < newest then
    return 'order'
  end
end
record()
return 'fresh' .. take_over()
