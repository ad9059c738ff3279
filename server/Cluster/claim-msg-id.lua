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
-- KEYS[3]  the session's journal (docs/cluster.md, "Sessions across nodes"); its field owner is the node instance that
--          claimed the session's last message
-- ARGV[7]  this node instance
-- ARGV[8]  "1" when this node holds none of the session's state (it has just begun to serve it)
-- ARGV[9]  seconds the journal outlives its last claim
--
-- Answers fresh or duplicate, each followed by " taken" when this node must first take the session's state over from
-- the journal; else why the msg_id is refused: below, order, forgotten.
local id, policy, capacity = ARGV[1], ARGV[5], tonumber(ARGV[4])

-- The session is this node's from now on. It is set by the claim itself, so that a take-over costs no round trip of
-- its own unless the session moved; a duplicate moves it too, as its answer must come from the session's state.
-- Answers ' taken' when the session was the cluster's already but not in this node's hands.
local function take_over()
  local owner = redis.call('HGET', KEYS[3], 'owner')
  redis.call('HSET', KEYS[3], 'owner', ARGV[7])
  redis.call('EXPIRE', KEYS[3], ARGV[9])
  if owner and (owner ~= ARGV[7] or ARGV[8] == '1') then
    return ' taken'
  end
  return ''
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
else
  local count = redis.call('ZCARD', KEYS[1])
  if count > 0 then
    if refuse_old and id < redis.call('ZRANGE', KEYS[1], 0, 0)[1] then
      return 'below'
    end
    if string.find(policy, 's', 1, true) and id < redis.call('ZRANGE', KEYS[1], -1, -1)[1] then
      return 'order'
    end
  end
  redis.call('ZADD', KEYS[1], 0, id)
  if count + 1 > capacity then
    redis.call('ZREMRANGEBYRANK', KEYS[1], 0, count - capacity)
  end
end

redis.call('EXPIRE', KEYS[1], ARGV[6])
return 'fresh' .. take_over()
