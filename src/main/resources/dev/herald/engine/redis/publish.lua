-- Herald's publish on one channel, atomic and in one round trip (docs/scaling.md, "The publish script").
-- KEYS[1]  {herald:<channel>}:meta     hash: epoch, offset
-- KEYS[2]  {herald:<channel>}:history  sorted set: score offset, member the envelope's JSON
-- KEYS[3]  {herald:<channel>}:idem:<key> (only with an idempotency key): the first envelope's JSON
-- ARGV[1]  an epoch for the channel if it has none (random, from the node)
-- ARGV[2]  the envelope's JSON after its epoch: "event":"…","ts":…,"data":…}
-- ARGV[3]  messages kept (herald.history.size)
-- ARGV[4]  milliseconds the history key lives after this publish (herald.history.ttl)
-- ARGV[5]  milliseconds the meta key lives after this publish (the ttl plus a day)
-- ARGV[6]  the shard channel every node subscribed to the channel listens on (same hash tag, same slot)
-- ARGV[7]  the epoch the calling node last delivered on the channel, or "" if none
-- ARGV[8]  the offset the calling node last delivered in that epoch (0 if none)
-- ARGV[9]  "<ts>:<bytes of data>" of that envelope ("" if none)
-- ARGV[10] milliseconds an idempotency key is remembered (herald.idempotency.window)
-- Returns {offset, epoch}, or {0, "", first envelope's JSON} when the idempotency key was used already.
if KEYS[3] then
  local first = redis.call('GET', KEYS[3])
  if first then return {0, '', first} end
end
-- a new epoch when the keys are gone or Redis went back behind a node: no offset is reused within an epoch
local epoch = current_epoch(ARGV[7], ARGV[8], ARGV[9]) or start_epoch(ARGV[1])
local offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
local envelope = '{"offset":' .. string.format('%d', offset) .. ',"epoch":"' .. epoch .. '",' .. ARGV[2]
redis.call('ZADD', KEYS[2], offset, envelope)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[3]) + 1))
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if KEYS[3] then redis.call('SET', KEYS[3], envelope, 'PX', ARGV[10]) end
redis.call('SPUBLISH', ARGV[6], envelope)
return {offset, epoch}
