-- The Redis stock ledger's scripts. Each runs atomically on the one slot its keys share
-- (the deal's, or a bucket's, hash tag): KEYS[1] the deal hash (stock, limit, starts, ends in
-- epoch ms; `late`, where set, the epoch ms until which admitted attempts wait for their
-- order), KEYS[2] the buyers hash (units each buyer holds), KEYS[3] the stream of admitted
-- attempts not yet written to the database, KEYS[4] the set of released reservation ids,
-- KEYS[5] the Idempotency-Keys (hashed) of admitted attempts not yet settled, to their entry;
-- KEYS[6], where given, the key marking one Idempotency-Key's attempt as settled (it expires).
-- Sections start with "--- name"; redis_stock.py splits them.

--- take
-- ARGV: now_ms, buyer_id, quantity, token, payload, claim ("" without an Idempotency-Key).
-- With KEYS[7], the buyer's yearly room (compliance/year_room.lua, whose functions are put
-- before this script), checked and taken with the units: ARGV from 7 as room_verdict reads
-- them. Returns {verdict, entry id or "", late}: verdict unknown | pending | settled |
-- not_started | ended | buyer_limit | sold_out | annual | capped:<prefix> | room_unknown |
-- taken. pending: an attempt with the same Idempotency-Key is being written; settled: it was
-- written a moment ago (its answer is in the database). late: 1 while the deal was lately
-- rebuilt after Redis lost it (the rebuild could not count attempts admitted before the loss
-- and still being written), so the caller waits for the database before it answers; 2 once
-- that period is over but the deal has not been set from the database since (the caller still
-- waits, and has the deal set again, which ends it: settle_late); else 0. The entry records
-- it (field l), so a replay of it knows its buyer was not answered before the write.
local deal = redis.call('HMGET', KEYS[1], 'stock', 'limit', 'starts', 'ends', 'late')
if not deal[1] then
  return {'unknown', '', 0}
end
local claim = ARGV[6]
if claim ~= '' and redis.call('HEXISTS', KEYS[5], claim) == 1 then
  return {'pending', '', 0}
end
if claim ~= '' and redis.call('EXISTS', KEYS[6]) == 1 then
  return {'settled', '', 0}
end
local now = tonumber(ARGV[1])
if now < tonumber(deal[3]) then
  return {'not_started', '', 0}
end
if now >= tonumber(deal[4]) then
  return {'ended', '', 0}
end
local quantity = tonumber(ARGV[3])
local held = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
if held + quantity > tonumber(deal[2]) then
  return {'buyer_limit', '', 0}
end
if tonumber(deal[1]) < quantity then
  return {'sold_out', '', 0}
end
if KEYS[7] then
  local room = room_verdict(KEYS[7], ARGV, 7)
  if room == 'unknown' then
    return {'room_unknown', '', 0}
  elseif room ~= 'ok' then
    return {room, '', 0}
  end
  room_take(KEYS[7], ARGV, 7)
end
local late = 0
if deal[5] then
  late = now < tonumber(deal[5]) and 1 or 2
end
redis.call('HINCRBY', KEYS[1], 'stock', -quantity)
redis.call('HINCRBY', KEYS[2], ARGV[2], quantity)
local id = redis.call(
  'XADD', KEYS[3], '*', 't', ARGV[4], 'b', ARGV[2], 'q', ARGV[3], 'k', claim, 'p', ARGV[5], 'l', late
)
if claim ~= '' then
  redis.call('HSET', KEYS[5], claim, id)
end
return {'taken', id, late}

--- forget_many
-- Written attempts of one bucket: their entries and pending claims go, and each claim is
-- marked settled for ARGV[1] seconds. ARGV: seconds, n, then n pairs entry id, claim;
-- KEYS[6..] the settled-marker keys of the claimed ones, in their order.
local marker = 6
for i = 0, tonumber(ARGV[2]) - 1 do
  local entry, claim = ARGV[3 + 2 * i], ARGV[4 + 2 * i]
  if claim ~= '' then
    if redis.call('HGET', KEYS[5], claim) == entry then
      redis.call('HDEL', KEYS[5], claim)
    end
    redis.call('SET', KEYS[marker], '1', 'EX', ARGV[1])
    marker = marker + 1
  end
  redis.call('XDEL', KEYS[3], entry)
end
return 1

--- give_back
-- An admitted attempt the database refused. ARGV: entry id, buyer_id, quantity, claim, and
-- seconds to mark the claim settled ("" not to: its key was released, free to be used again).
-- Only the caller whose XDEL removes the entry returns its units: idempotent. Returns 1 or 0.
if ARGV[4] ~= '' and redis.call('HGET', KEYS[5], ARGV[4]) == ARGV[1] then
  redis.call('HDEL', KEYS[5], ARGV[4])
end
if ARGV[4] ~= '' and ARGV[5] ~= '' then
  redis.call('SET', KEYS[6], '1', 'EX', ARGV[5])
end
if redis.call('XDEL', KEYS[3], ARGV[1]) == 0 then
  return 0
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  -- flushed meanwhile: the rebuild counts from the database, where these units never went
  return 0
end
local quantity = tonumber(ARGV[3])
redis.call('HINCRBY', KEYS[1], 'stock', quantity)
if redis.call('HINCRBY', KEYS[2], ARGV[2], -quantity) <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[2])
end
return 1

--- return_released
-- A reservation the database released (expired or cancelled order). ARGV: reservation id,
-- buyer_id, quantity. The released set makes it idempotent. Returns 1 or 0.
if redis.call('EXISTS', KEYS[1]) == 0 then
  -- not loaded: the rebuild counts the released units from the database
  return 0
end
if redis.call('SADD', KEYS[4], ARGV[1]) == 0 then
  return 0
end
local quantity = tonumber(ARGV[3])
redis.call('HINCRBY', KEYS[1], 'stock', quantity)
if redis.call('HINCRBY', KEYS[2], ARGV[2], -quantity) <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[2])
end
return 1

--- rebuild
-- Set the deal from the database (called while the caller holds the deal's row lock, so no
-- attempt can be written meanwhile): stock = base - the units of entries not yet written,
-- buyers = the database's units + those entries. ARGV: mode (repair | check), base, limit,
-- starts, ends, late (epoch ms until which admitted attempts wait for their order, 0 for
-- none; a later one already set is kept unless it is over), now (epoch ms), then a count and
-- that many written tokens, a count and that many buyer/units pairs, a count and that many
-- released reservation ids. Returns {found stock or "none", expected stock, units in flight,
-- buyers that differ, late: 0 none, 1 running, 2 over}.
local mode = ARGV[1]
local stock = tonumber(ARGV[2])
local at = 8
local written = {}
for i = 1, tonumber(ARGV[at]) do
  written[ARGV[at + i]] = true
end
at = at + tonumber(ARGV[at]) + 1
local buyers = {}
for i = 1, tonumber(ARGV[at]) do
  buyers[ARGV[at + 2 * i - 1]] = tonumber(ARGV[at + 2 * i])
end
at = at + 2 * tonumber(ARGV[at]) + 1
local in_flight = 0
local claims = {}
for _, entry in ipairs(redis.call('XRANGE', KEYS[3], '-', '+')) do
  local token, buyer, quantity, claim
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == 't' then
      token = fields[i + 1]
    elseif fields[i] == 'b' then
      buyer = fields[i + 1]
    elseif fields[i] == 'q' then
      quantity = tonumber(fields[i + 1])
    elseif fields[i] == 'k' then
      claim = fields[i + 1]
    end
  end
  if not written[token] then
    stock = stock - quantity
    in_flight = in_flight + quantity
    buyers[buyer] = (buyers[buyer] or 0) + quantity
    if claim and claim ~= '' then
      claims[claim] = entry[1]
    end
  end
end
local found = redis.call('HGET', KEYS[1], 'stock') or 'none'
local old = {}
local pairs_found = redis.call('HGETALL', KEYS[2])
for i = 1, #pairs_found, 2 do
  old[pairs_found[i]] = tonumber(pairs_found[i + 1])
end
local differ = 0
for buyer, units in pairs(buyers) do
  if units ~= 0 and old[buyer] ~= units then
    differ = differ + 1
  end
end
for buyer, units in pairs(old) do
  if (buyers[buyer] or 0) == 0 and units ~= 0 then
    differ = differ + 1
  end
end
local now = tonumber(ARGV[7])
local late_was = tonumber(redis.call('HGET', KEYS[1], 'late') or '0')
local late_state = 0
if late_was > 0 then
  late_state = now < late_was and 1 or 2
end
if mode == 'repair' then
  local late = tonumber(ARGV[6])
  if late_was > now and late_was > late then
    late = late_was
  end
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[4], KEYS[5])
  for claim, id in pairs(claims) do
    redis.call('HSET', KEYS[5], claim, id)
  end
  redis.call('HSET', KEYS[1], 'stock', stock, 'limit', ARGV[3], 'starts', ARGV[4], 'ends', ARGV[5])
  if late > 0 then
    redis.call('HSET', KEYS[1], 'late', late)
  end
  for buyer, units in pairs(buyers) do
    if units > 0 then
      redis.call('HSET', KEYS[2], buyer, units)
    end
  end
  for i = 1, tonumber(ARGV[at]) do
    redis.call('SADD', KEYS[4], ARGV[at + i])
  end
end
return {found, stock, in_flight, differ, late_state}

--- settle_late
-- The deal agrees with the database (checked under its row lock): a late period that is over
-- ends. ARGV: now (epoch ms). Returns 1 if it ended one.
local late = redis.call('HGET', KEYS[1], 'late')
if late and tonumber(late) <= tonumber(ARGV[1]) then
  redis.call('HDEL', KEYS[1], 'late')
  return 1
end
return 0
