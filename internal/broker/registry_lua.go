package broker

import "github.com/redis/go-redis/v9"

// The registry's state in Redis, every key under the hash tag "{<prefix>}" so that all
// of them live in one slot (each script touches several):
//
//	{P}:nodes        zset  node → deadline (ms, Redis clock); a node past it is dead
//	{P}:nr:<node>    set   "room\x1fuser" pairs the node has a socket of
//	{P}:rm:<room>    hash  user → number of nodes with a socket of user in room
//	{P}:ur:<user>    set   rooms user has a socket in, on any node
//	{P}:nu:<node>    set   users the node has a socket of
//	{P}:un           hash  user → number of nodes with a socket of user
//	{P}:ug           hash  user → generation, bumped when a node gains the user
//	{P}:ng:<node>    hash  user → "gen\x1froom\x1froom…": the node's users in their grace period
//	{P}:st           hash  user → presence status while the user is known
//
// Room ids cannot hold \x1f (the chat domain allows A–Z a–z 0–9 _ - . : @), so a pair
// splits at its first \x1f whatever the user id holds. Every script takes the key
// prefix "{P}" as ARGV[1]; they run atomically, which is what makes "first socket of the
// user in the room on any node" and "one node announces the user offline" exact.

// luaPrelude defines the helpers the scripts share: the clock and the leave steps.
const luaPrelude = `
local P = ARGV[1]
local function nowms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function roomleave(room, user)
  local c = redis.call('HINCRBY', P..':rm:'..room, user, -1)
  if c <= 0 then
    redis.call('HDEL', P..':rm:'..room, user)
    redis.call('SREM', P..':ur:'..user, room)
    return true
  end
  return false
end
local function roomjoin(room, user)
  if redis.call('HINCRBY', P..':rm:'..room, user, 1) == 1 then
    redis.call('SADD', P..':ur:'..user, room)
    return true
  end
  return false
end
local function userleave(user)
  if redis.call('HINCRBY', P..':un', user, -1) <= 0 then
    redis.call('HDEL', P..':un', user)
  end
end
local function userjoin(user, status)
  redis.call('HINCRBY', P..':un', user, 1)
  redis.call('HINCRBY', P..':ug', user, 1)
  redis.call('HSETNX', P..':st', user, status)
end
-- offline ends user's presence if no node has a socket of them and gen is still the
-- generation they left at; it returns the status they had, or nil.
local function offline(user, gen)
  if redis.call('HEXISTS', P..':un', user) == 1 then return nil end
  if redis.call('HGET', P..':ug', user) ~= gen then return nil end
  redis.call('HDEL', P..':ug', user)
  local st = redis.call('HGET', P..':st', user) or 'online'
  redis.call('HDEL', P..':st', user)
  return st
end
`

func newScript(body string) *redis.Script { return redis.NewScript(luaPrelude + body) }

// scriptJoinRoom: ARGV P node room user → 1 when user had no socket in room on any node.
var scriptJoinRoom = newScript(`
local node, room, user = ARGV[2], ARGV[3], ARGV[4]
if redis.call('SADD', P..':nr:'..node, room..'\31'..user) == 0 then return 0 end
if roomjoin(room, user) then return 1 end
return 0
`)

// scriptLeaveRoom: ARGV P node room user → 1 when that was user's last socket in room.
var scriptLeaveRoom = newScript(`
local node, room, user = ARGV[2], ARGV[3], ARGV[4]
if redis.call('SREM', P..':nr:'..node, room..'\31'..user) == 0 then return 0 end
if roomleave(room, user) then return 1 end
return 0
`)

// scriptConnect: ARGV P node user → the user's status (a new user is "online").
var scriptConnect = newScript(`
local node, user = ARGV[2], ARGV[3]
redis.call('HDEL', P..':ng:'..node, user)
if redis.call('SADD', P..':nu:'..node, user) == 1 then userjoin(user, 'online') end
return redis.call('HGET', P..':st', user) or 'online'
`)

// scriptDisconnect: ARGV P node user rooms → the generation the user's grace period
// on this node belongs to.
var scriptDisconnect = newScript(`
local node, user = ARGV[2], ARGV[3]
if redis.call('SREM', P..':nu:'..node, user) == 1 then userleave(user) end
local gen = redis.call('HGET', P..':ug', user) or '0'
redis.call('HSET', P..':ng:'..node, user, gen..'\31'..ARGV[4])
return gen
`)

// scriptClaimOffline: ARGV P node user gen → the status the user had when this node is
// the one to announce them offline, else nil.
var scriptClaimOffline = newScript(`
local node, user = ARGV[2], ARGV[3]
redis.call('HDEL', P..':ng:'..node, user)
return offline(user, ARGV[4])
`)

// scriptSetStatus: ARGV P user status → every room the user has a socket in.
var scriptSetStatus = newScript(`
redis.call('HSET', P..':st', ARGV[2], ARGV[3])
return redis.call('SMEMBERS', P..':ur:'..ARGV[2])
`)

// scriptMembers: ARGV P room → user, status, user, status…
var scriptMembers = newScript(`
local out = {}
for _, u in ipairs(redis.call('HKEYS', P..':rm:'..ARGV[2])) do
  out[#out + 1] = u
  out[#out + 1] = redis.call('HGET', P..':st', u) or 'online'
end
return out
`)

// scriptHeartbeat: ARGV P node ttlms → {1 if the node was not registered, dead nodes…}.
var scriptHeartbeat = newScript(`
local now = nowms()
local added = redis.call('ZADD', P..':nodes', now + tonumber(ARGV[3]), ARGV[2])
local dead = redis.call('ZRANGEBYSCORE', P..':nodes', '-inf', now, 'LIMIT', 0, 16)
return {added, dead}
`)

// scriptDeadline: ARGV P node ms → sets the node's deadline to ms from now (a node
// leaving hands its users' grace periods to whichever node reaps it).
var scriptDeadline = newScript(`
redis.call('ZADD', P..':nodes', nowms() + tonumber(ARGV[3]), ARGV[2])
return 1
`)

// scriptReap: ARGV P node → {room, user, room, user…} (users gone from a room) and
// {user, status, rooms…} (users gone offline), when node is past its deadline; the
// ZREM makes exactly one reaper see it.
var scriptReap = newScript(`
local node = ARGV[2]
local score = redis.call('ZSCORE', P..':nodes', node)
if not score or tonumber(score) > nowms() then return {{}, {}} end
redis.call('ZREM', P..':nodes', node)
local left, gone, roomsOf = {}, {}, {}
for _, e in ipairs(redis.call('SMEMBERS', P..':nr:'..node)) do
  local sep = string.find(e, '\31', 1, true)
  local room, user = string.sub(e, 1, sep - 1), string.sub(e, sep + 1)
  if roomleave(room, user) then
    left[#left + 1] = room
    left[#left + 1] = user
    roomsOf[user] = (roomsOf[user] and (roomsOf[user]..'\31') or '')..room
  end
end
redis.call('DEL', P..':nr:'..node)
for _, user in ipairs(redis.call('SMEMBERS', P..':nu:'..node)) do
  userleave(user)
  local st = offline(user, redis.call('HGET', P..':ug', user))
  if st then
    gone[#gone + 1] = user
    gone[#gone + 1] = st
    gone[#gone + 1] = roomsOf[user] or ''
  end
end
redis.call('DEL', P..':nu:'..node)
local grace = redis.call('HGETALL', P..':ng:'..node)
for i = 1, #grace, 2 do
  local user, v = grace[i], grace[i + 1]
  local sep = string.find(v, '\31', 1, true)
  local st = offline(user, string.sub(v, 1, sep - 1))
  if st then
    gone[#gone + 1] = user
    gone[#gone + 1] = st
    gone[#gone + 1] = string.sub(v, sep + 1)
  end
end
redis.call('DEL', P..':ng:'..node)
return {left, gone}
`)

// scriptSync: ARGV P node ttlms nusers user status … pair pair… → 1. It makes the
// node's entries equal to its local state without telling anyone (used after Redis
// lost them, or after the node's calls failed); it registers the node too.
var scriptSync = newScript(`
local node, n = ARGV[2], tonumber(ARGV[4])
redis.call('ZADD', P..':nodes', nowms() + tonumber(ARGV[3]), node)
local wantU, haveU = {}, {}
for i = 5, 4 + 2 * n, 2 do wantU[ARGV[i]] = ARGV[i + 1] end
for _, u in ipairs(redis.call('SMEMBERS', P..':nu:'..node)) do haveU[u] = true end
for u in pairs(haveU) do
  if not wantU[u] then redis.call('SREM', P..':nu:'..node, u); userleave(u) end
end
for u, st in pairs(wantU) do
  if not haveU[u] then redis.call('SADD', P..':nu:'..node, u); userjoin(u, st) end
  redis.call('HDEL', P..':ng:'..node, u)
end
local wantP, haveP = {}, {}
for i = 5 + 2 * n, #ARGV do wantP[ARGV[i]] = true end
for _, e in ipairs(redis.call('SMEMBERS', P..':nr:'..node)) do haveP[e] = true end
for e in pairs(haveP) do
  if not wantP[e] then
    redis.call('SREM', P..':nr:'..node, e)
    local sep = string.find(e, '\31', 1, true)
    roomleave(string.sub(e, 1, sep - 1), string.sub(e, sep + 1))
  end
end
for e in pairs(wantP) do
  if not haveP[e] then
    redis.call('SADD', P..':nr:'..node, e)
    local sep = string.find(e, '\31', 1, true)
    roomjoin(string.sub(e, 1, sep - 1), string.sub(e, sep + 1))
  end
end
return 1
`)

// scriptReserve: ARGV P key intervalµs burst → 0 when a token was taken from the
// cluster-wide bucket key, else the µs to wait. A generic cell rate algorithm: the
// bucket is one number, the theoretical arrival time of the next token, kept while it
// is in the future.
var scriptReserve = newScript(`
local k, iv, burst = P..':rl:'..ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = math.max(tonumber(redis.call('GET', k) or now), now)
local wait = tat + iv - burst * iv - now
if wait > 0 then return wait end
redis.call('SET', k, tat + iv, 'PX', math.floor((tat + iv - now) / 1000) + 1)
return 0
`)

// scriptRefund: ARGV P key intervalµs → 1. It gives back one token taken by
// scriptReserve (a send that turned out to be a duplicate costs nothing).
var scriptRefund = newScript(`
local k, iv = P..':rl:'..ARGV[2], tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', k))
if not tat then return 1 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
if tat - iv <= now then redis.call('DEL', k) return 1 end
redis.call('SET', k, tat - iv, 'PX', math.floor((tat - iv - now) / 1000) + 1)
return 1
`)
