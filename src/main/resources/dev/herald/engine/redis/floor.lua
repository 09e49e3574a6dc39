-- Prefixed to publish.lua and history.lua: a channel's epoch (docs/scaling.md, "Epochs", "When Redis loses writes").
-- lost_writes(epoch, floor_epoch, floor_offset, floor_print): true when Redis holds the channel in the epoch the
-- calling node last delivered from, but behind it: its offset is below the node's last delivered offset, or the
-- envelope it keeps at that offset is another one than the node delivered (Redis lost writes, e.g. a crash with
-- AOF everysec, and new publishes took their offsets). floor_print is "<ts>:<bytes of data>" of the node's envelope.
local function lost_writes(epoch, floor_epoch, floor_offset, floor_print)
  if not epoch or epoch ~= floor_epoch then return false end
  local offset = tonumber(redis.call('HGET', KEYS[1], 'offset'))
  local floor = tonumber(floor_offset)
  if offset < floor then return true end
  if floor_print == '' then return false end -- the node knows the offset only (read, not delivered)
  local kept = redis.call('ZRANGEBYSCORE', KEYS[2], floor, floor)
  if #kept == 0 then return false end -- trimmed since: nothing to compare
  local entry = kept[1]
  local ts = string.match(entry, '"ts":(%d+)')
  local at = string.find(entry, ',"data":', 1, true)
  return at == nil or (ts .. ':' .. (#entry - at - 8)) ~= floor_print
end

-- current_epoch(floor_epoch, floor_offset, floor_print): the channel's epoch, or false when it must start a new one:
-- its keys are gone (never made, expired, evicted, flushed) or Redis lost writes the calling node delivered.
local function current_epoch(floor_epoch, floor_offset, floor_print)
  local epoch = redis.call('HGET', KEYS[1], 'epoch')
  if lost_writes(epoch, floor_epoch, floor_offset, floor_print) then return false end
  return epoch
end

-- start_epoch(candidate): makes candidate (random, from the node) the channel's epoch, at offset 0, with no history
-- of an old one. Returns it.
local function start_epoch(candidate)
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', candidate, 'offset', 0)
  return candidate
end
