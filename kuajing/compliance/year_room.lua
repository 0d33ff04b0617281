-- A person's CBEC year in Redis: one hash per person and year, KEYS[1] = the room, under the
-- person's own hash tag so each script touches one slot. Fields: "u" the dutiable fen used,
-- "c:<prefix>" the grams or pieces of capped goods held. Sections start with "--- name";
-- year_room.py splits them.

--- reserve
-- ARGV: seconds to keep the room, dutiable, limit, n, then n triples prefix, amount, cap, then
-- "warm" or "", and when "warm": used, m, m pairs prefix, held (what the database said).
-- A room that is not there is set from the warm values, or answered "unknown" without them.
-- Returns "ok" (taken), "annual", "capped:<prefix>" or "unknown"; takes nothing unless "ok".
local n = tonumber(ARGV[4])
local at = 5 + 3 * n
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[at] ~= 'warm' then
    return 'unknown'
  end
  redis.call('HSET', KEYS[1], 'u', ARGV[at + 1])
  for i = 1, tonumber(ARGV[at + 2]) do
    redis.call('HSET', KEYS[1], 'c:' .. ARGV[at + 1 + 2 * i], ARGV[at + 2 + 2 * i])
  end
end
local dutiable = tonumber(ARGV[2])
if tonumber(redis.call('HGET', KEYS[1], 'u') or '0') + dutiable > tonumber(ARGV[3]) then
  return 'annual'
end
for i = 0, n - 1 do
  local prefix, amount, cap = ARGV[5 + 3 * i], tonumber(ARGV[6 + 3 * i]), tonumber(ARGV[7 + 3 * i])
  if tonumber(redis.call('HGET', KEYS[1], 'c:' .. prefix) or '0') + amount > cap then
    return 'capped:' .. prefix
  end
end
redis.call('HINCRBY', KEYS[1], 'u', dutiable)
for i = 0, n - 1 do
  redis.call('HINCRBY', KEYS[1], 'c:' .. ARGV[5 + 3 * i], ARGV[6 + 3 * i])
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 'ok'

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
