-- Reads one channel's history (docs/scaling.md, "Reading history").
-- KEYS[1]  {herald:<channel>}:meta     hash: epoch, offset
-- KEYS[2]  {herald:<channel>}:history  sorted set: score offset, member the envelope's JSON
-- ARGV[1]  an epoch for the channel if it has none (random, from the node)
-- ARGV[2]  since: entries with a greater offset are returned
-- ARGV[3]  at most this many entries
-- ARGV[4]  cutoff: entries published (their "ts") before it are removed first (herald.history.ttl)
-- ARGV[5]  milliseconds the meta key lives if this call creates it
-- ARGV[6]  the epoch the calling node last delivered on the channel, or "" if none
-- ARGV[7]  the offset the calling node last delivered in that epoch (0 if none)
-- ARGV[8]  "<ts>:<bytes of data>" of that envelope ("" if none)
-- Returns {epoch, latest, earliest (-1 if none), {envelope JSON, ...}}.
local epoch = current_epoch(ARGV[6], ARGV[7], ARGV[8])
if not epoch then
  -- fix the epoch now, so that a subscriber told this epoch sees the first publish in the same one
  epoch = start_epoch(ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {epoch, 0, -1, {}}
end
local latest = tonumber(redis.call('HGET', KEYS[1], 'offset'))
local cutoff = tonumber(ARGV[4])
while true do
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)
  if #head == 0 then break end
  local ts = tonumber(string.match(head[1], '"ts":(%d+)'))
  if ts == nil or ts >= cutoff then break end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, 0)
end
local earliest = -1
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if #first > 0 then earliest = tonumber(first[2]) end
local entries = {}
local limit = tonumber(ARGV[3])
if limit > 0 then
  entries = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[2], '+inf', 'LIMIT', 0, limit)
end
return {epoch, latest, earliest, entries}
