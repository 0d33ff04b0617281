-- A person's CBEC year in Redis: one hash per person and year, KEYS[1] = the room, under the
-- person's own hash tag so each script touches one slot. Fields: "u" the dutiable fen used,
-- "c:<prefix>" the grams or pieces of capped goods held. Sections start with "--- name";
-- year_room.py splits them.

--- lib
-- Checking and taking a room, for `reserve` below and for the stock ledger's `take`, which
-- checks a buyer's room in the same script as the deal's units where both lie on one node
-- (stock_ledger/redis_stock.lua). `argv` from index `at`: seconds to keep the room, dutiable,
-- limit, n, then n triples prefix, amount, cap, then "warm" or "", and when "warm": used, m,
-- m pairs prefix, held (what the database said).
local function room_verdict(key, argv, at)
  -- "ok", "annual", "capped:<prefix>", or "unknown" (not there, and no warm values); a room
  -- that is not there is set from the warm values first
  local n = tonumber(argv[at + 3])
  local warm = at + 4 + 3 * n
  if redis.call('EXISTS', key) == 0 then
    if argv[warm] ~= 'warm' then
      return 'unknown'
    end
    redis.call('HSET', key, 'u', argv[warm + 1])
    for i = 1, tonumber(argv[warm + 2]) do
      redis.call('HSET', key, 'c:' .. argv[warm + 1 + 2 * i], argv[warm + 2 + 2 * i])
    end
    redis.call('EXPIRE', key, argv[at])
  end
  if tonumber(redis.call('HGET', key, 'u') or '0') + tonumber(argv[at + 1]) > tonumber(argv[at + 2]) then
    return 'annual'
  end
  for i = 0, n - 1 do
    local prefix = argv[at + 4 + 3 * i]
    local amount, cap = tonumber(argv[at + 5 + 3 * i]), tonumber(argv[at + 6 + 3 * i])
    if tonumber(redis.call('HGET', key, 'c:' .. prefix) or '0') + amount > cap then
      return 'capped:' .. prefix
    end
  end
  return 'ok'
end

local function room_take(key, argv, at)
  redis.call('HINCRBY', key, 'u', argv[at + 1])
  for i = 0, tonumber(argv[at + 3]) - 1 do
    redis.call('HINCRBY', key, 'c:' .. argv[at + 4 + 3 * i], argv[at + 5 + 3 * i])
  end
  redis.call('EXPIRE', key, argv[at])
end

--- reserve
-- KEYS[1] the room; ARGV as room_verdict's from 1. Returns its verdict; takes nothing unless "ok".
local verdict = room_verdict(KEYS[1], ARGV, 1)
if verdict == 'ok' then
  room_take(KEYS[1], ARGV, 1)
end
return verdict

--- release
-- Give back what an order held. ARGV: dutiable, n, then n pairs prefix, amount. Never below 0;
-- a room that is not there is left so (it is set from the database when next needed).
-- Returns 1 if the room was there, else 0.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local function back(field, amount)
  if tonumber(amount) ~= 0 and redis.call('HINCRBY', KEYS[1], field, -tonumber(amount)) < 0 then
    redis.call('HSET', KEYS[1], field, 0)
  end
end
back('u', ARGV[1])
for i = 1, tonumber(ARGV[2]) do
  back('c:' .. ARGV[1 + 2 * i], ARGV[2 + 2 * i])
end
return 1

--- warm
-- Set a room from what the database holds, if it is not there. KEYS[1] the room; ARGV: seconds
-- to keep it, used, m, then m pairs prefix, held. Returns 1 if it set the room, else 0.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'u', ARGV[2])
for i = 1, tonumber(ARGV[3]) do
  redis.call('HSET', KEYS[1], 'c:' .. ARGV[2 + 2 * i], ARGV[3 + 2 * i])
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
