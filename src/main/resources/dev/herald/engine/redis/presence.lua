-- Presence of one channel (RedisPresence). KEYS[1] {herald:C}:presence, a hash client -> entry JSON;
-- KEYS[2] {herald:C}:presence:exp, a sorted set client -> expiry (ms, Redis' clock). ARGV[1] the op,
-- ARGV[2] the shard channel of the events ({herald:C}:presence-events), ARGV[3] the entries' time to live (ms).
-- Every removal (leave or expiry) HDELs first and publishes only what it removed: a leave is published once.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
local op = ARGV[1]
local function keep()
  redis.call('PEXPIRE', KEYS[1], ttl * 2)
  redis.call('PEXPIRE', KEYS[2], ttl * 2)
end
local function sweep()
  local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
  for _, c in ipairs(gone) do
    local v = redis.call('HGET', KEYS[1], c)
    redis.call('HDEL', KEYS[1], c)
    redis.call('ZREM', KEYS[2], c)
    if v then
      redis.call('SPUBLISH', ARGV[2], 'l' .. v)
    end
  end
end
if op == 'join' then -- ARGV[4] client, ARGV[5] entry
  sweep()
  if redis.call('HSETNX', KEYS[1], ARGV[4], ARGV[5]) == 1 then
    redis.call('ZADD', KEYS[2], now + ttl, ARGV[4])
    redis.call('SPUBLISH', ARGV[2], 'j' .. ARGV[5])
  end
  keep()
  return {}
elseif op == 'leave' then -- ARGV[4] client
  local v = redis.call('HGET', KEYS[1], ARGV[4])
  if v then
    redis.call('HDEL', KEYS[1], ARGV[4])
    redis.call('ZREM', KEYS[2], ARGV[4])
    redis.call('SPUBLISH', ARGV[2], 'l' .. v)
  end
  return {}
elseif op == 'refresh' then -- ARGV[4..] this node's clients still subscribed
  for i = 4, #ARGV do
    redis.call('ZADD', KEYS[2], 'XX', now + ttl, ARGV[i])
  end
  sweep()
  keep()
  return {}
elseif op == 'list' then
  sweep()
  return redis.call('HVALS', KEYS[1])
end
return redis.error_reply('unknown presence op ' .. tostring(op))
