import { GCRA_FUNCTIONS } from './gcra';

/**
 * Lua scripts that make every breaker/limiter decision atomic in one Redis round trip, on Redis
 * server time (no clock skew between workers). Keys of one connector share a hash tag, so they
 * live in one Cluster slot. KEYS: 1 breaker state (hash), 2 failure window (hash of
 * `<bucket>:c|f` counters), 3 half-open probes (zset token→expiry), 4 rate limit (GCRA
 * theoretical arrival time, see gcra.ts), 5 concurrency leases (zset token→expiry), 6 reserved
 * rate slots (zset waiter→slot time), 7 the GCRA of the calls actually let through.
 *
 * A slot (lease or probe) carries its own expiry as its score; the key's own expiry is only
 * garbage collection, pushed out at every grant and renewal so that it never expires before a
 * live slot does.
 */

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const OPEN = `local function open_breaker(open_ms)
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', now, 'open_until', now + open_ms)
  redis.call('DEL', KEYS[2], KEYS[3])
end`;

/**
 * ARGV: 1 breaker enabled (1/0), 2 halfOpenMaxCalls, 3 permits per second (0 = no rate limit),
 * 4 burst, 5 maxInFlight (0 = none), 6 slot ttl ms, 7 token, 8 poll ms, 9 waiter (the job; '' =
 * none), 10 how late a reserved slot may still be used, ms, 11 now in ms — optional, for tests
 * that drive the clock (as in gcra.ts); without it Redis' own clock is used.
 * Returns {granted 1/0, reason, retryAfterMs, transition, probe 1/0}. Nothing is taken unless all pass.
 *
 * Rate limit with a waiter: a job the GCRA (KEYS[4]) turns away reserves the next free slot (GCRA
 * hands out future slots by moving TAT on) and is told the exact time of its slot. From that time
 * the slot is its own: waiters are served in the order they asked, each with one wait, and a
 * newcomer queues behind every reserved slot (no barging). A call still goes only when it conforms
 * to a second GCRA over the calls actually let through (KEYS[7]), so a slot used late never bunches
 * with the next one: the limit holds exactly however late waiters come. A slot not used within the
 * lateness allowance lapses (the job lost, cancelled or held back by the breaker or concurrency):
 * its job asks again at the back.
 */
export const ACQUIRE = `${NOW}
if ARGV[11] then now = tonumber(ARGV[11]) end
${GCRA_FUNCTIONS}
local transition = ''
local probe = 0
local poll = tonumber(ARGV[8])
if ARGV[1] == '1' then
  local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
  if state == 'open' then
    local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
    if now < open_until then return {0, 'circuit_open', open_until - now, '', 0} end
    redis.call('HSET', KEYS[1], 'state', 'half_open', 'half_opened_at', now)
    redis.call('DEL', KEYS[3])
    state = 'half_open'
    transition = 'half_opened'
  end
  if state == 'half_open' then
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
    if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[2]) then return {0, 'circuit_open', poll, transition, 0} end
    probe = 1
  end
end
local rate, burst = tonumber(ARGV[3]), tonumber(ARGV[4])
local waiter, lateness = ARGV[9], tonumber(ARGV[10])
local slot_tat, call_tat = 0, 0
local reserved = false
if rate > 0 then
  local interval = 1000 / rate
  local tolerance = burst * interval
  local function reserve(slot_at, tat)
    gcra_take(KEYS[4], now, tat)
    redis.call('ZADD', KEYS[6], slot_at, waiter)
    redis.call('PEXPIRE', KEYS[6], math.ceil(tat - now + lateness) + 1000)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now - lateness)
  local slot = waiter ~= '' and redis.call('ZSCORE', KEYS[6], waiter)
  if slot then
    slot = tonumber(slot)
    if now < slot then return {0, 'rate_limited', math.ceil(slot - now), transition, 0} end
    reserved = true
  else
    local wait
    wait, slot_tat = gcra_check(KEYS[4], now, interval, tolerance)
    if wait > 0 then
      if waiter == '' then return {0, 'rate_limited', math.ceil(wait), transition, 0} end
      -- slot_tat is max(TAT, now) here: the reserved slot conforms at now + wait.
      reserve(now + wait, slot_tat + interval)
      return {0, 'rate_limited', math.ceil(wait), transition, 0}
    end
  end
  local call_wait
  call_wait, call_tat = gcra_check(KEYS[7], now, interval, tolerance)
  if call_wait > 0 then
    -- A late slot went just before: this one is due, and kept, but waits until the call conforms.
    if not reserved and waiter ~= '' then reserve(now, slot_tat) end
    return {0, 'rate_limited', math.ceil(call_wait), transition, 0}
  end
end
local max_in_flight, ttl = tonumber(ARGV[5]), tonumber(ARGV[6])
if max_in_flight > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
  if redis.call('ZCARD', KEYS[5]) >= max_in_flight then return {0, 'concurrency_limited', poll, transition, 0} end
end
if rate > 0 then
  if reserved then redis.call('ZREM', KEYS[6], waiter) else gcra_take(KEYS[4], now, slot_tat) end
  gcra_take(KEYS[7], now, call_tat)
end
if max_in_flight > 0 then
  redis.call('ZADD', KEYS[5], now + ttl, ARGV[7])
  redis.call('PEXPIRE', KEYS[5], ttl * 2)
end
if probe == 1 then
  redis.call('ZADD', KEYS[3], now + ttl, ARGV[7])
  redis.call('PEXPIRE', KEYS[3], ttl * 2)
end
return {1, '', 0, transition, probe}`;

/**
 * Extends a held lease/probe (heartbeat), and the key's own expiry with it: a call longer than the
 * slot TTL keeps its place. ARGV: 1 token, 2 ttl ms. Returns how many slots were renewed.
 */
export const RENEW = `${NOW}
local ttl = tonumber(ARGV[2])
local renewed = 0
for _, key in ipairs({KEYS[5], KEYS[3]}) do
  if redis.call('ZSCORE', key, ARGV[1]) then
    redis.call('ZADD', key, now + ttl, ARGV[1])
    redis.call('PEXPIRE', key, ttl * 2)
    renewed = renewed + 1
  end
end
return renewed`;

/**
 * Reports a call's outcome and frees its slots. ARGV: 1 breaker enabled, 2 'success'|'failure'|
 * 'none' (the call ended without an answer: cancelled or lost — it frees its slots and decides
 * nothing), 3 token, 4 probe (1/0), 5 windowMs, 6 minimumCalls, 7 failureRateThreshold, 8 openMs.
 * Returns the breaker transition it caused ('opened', 'closed' or '').
 */
export const REPORT = `${NOW}
${OPEN}
redis.call('ZREM', KEYS[5], ARGV[3])
local was_probe = redis.call('ZREM', KEYS[3], ARGV[3]) == 1 or ARGV[4] == '1'
if ARGV[1] ~= '1' or ARGV[2] == 'none' then return '' end
local failed = ARGV[2] == 'failure'
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'half_open' then
  if not was_probe then return '' end
  if failed then open_breaker(tonumber(ARGV[8])) return 'opened' end
  redis.call('HSET', KEYS[1], 'state', 'closed', 'closed_at', now)
  redis.call('DEL', KEYS[2], KEYS[3])
  return 'closed'
end
if state == 'open' then return '' end
local window = tonumber(ARGV[5])
local bucket_ms = math.max(1, math.floor(window / 10))
local bucket = math.floor(now / bucket_ms)
redis.call('HINCRBY', KEYS[2], bucket .. ':c', 1)
if failed then redis.call('HINCRBY', KEYS[2], bucket .. ':f', 1) end
redis.call('PEXPIRE', KEYS[2], window * 2)
if not failed then return '' end
local oldest = math.floor((now - window) / bucket_ms)
local calls, failures = 0, 0
local fields = redis.call('HGETALL', KEYS[2])
for i = 1, #fields, 2 do
  local b, kind = string.match(fields[i], '^(%d+):(%a)$')
  if tonumber(b) <= oldest then redis.call('HDEL', KEYS[2], fields[i])
  elseif kind == 'c' then calls = calls + tonumber(fields[i + 1])
  else failures = failures + tonumber(fields[i + 1]) end
end
if calls >= tonumber(ARGV[6]) and failures / calls >= tonumber(ARGV[7]) then
  open_breaker(tonumber(ARGV[8]))
  return 'opened'
end
return ''`;

/**
 * Operator actions. ARGV: 1 'reset'|'open', 2 openMs. Returns the transition ('closed'/'opened')
 * or '' when the breaker already was in that state.
 */
export const FORCE = `${NOW}
${OPEN}
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if ARGV[1] == 'reset' then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  if state == 'closed' then return '' end
  return 'closed'
end
open_breaker(tonumber(ARGV[2]))
if state == 'open' then return '' end
return 'opened'`;

/**
 * A consistent snapshot. ARGV: 1 windowMs, 2 permits per second (0 = none), 3 burst.
 * Returns {state, open_until, calls, failures, rate calls available now, leases held, probes held,
 * ms until the next rate permit}.
 */
export const SNAPSHOT = `${NOW}
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
if state == 'open' and now >= open_until then state = 'half_open' end
local window = tonumber(ARGV[1])
local bucket_ms = math.max(1, math.floor(window / 10))
local oldest = math.floor((now - window) / bucket_ms)
local calls, failures = 0, 0
local fields = redis.call('HGETALL', KEYS[2])
for i = 1, #fields, 2 do
  local b, kind = string.match(fields[i], '^(%d+):(%a)$')
  if tonumber(b) > oldest then
    if kind == 'c' then calls = calls + tonumber(fields[i + 1]) else failures = failures + tonumber(fields[i + 1]) end
  end
end
local available, next_permit = 0, 0
local rate = tonumber(ARGV[2])
if rate > 0 then
  local interval = 1000 / rate
  local tolerance = tonumber(ARGV[3]) * interval
  local tat = math.max(tonumber(redis.call('GET', KEYS[4]) or '0') or 0, now)
  available = math.max(0, math.floor((tolerance - (tat - now)) / interval) + 1)
  next_permit = math.max(0, math.ceil(tat - tolerance - now))
end
local leases = redis.call('ZCOUNT', KEYS[5], now, '+inf')
local probes = redis.call('ZCOUNT', KEYS[3], now, '+inf')
return {state, open_until, calls, failures, available, leases, probes, next_permit}`;

/** Concurrency leases held now (not yet expired), for the leases-in-flight gauge. No ARGV. */
export const LEASES = `${NOW}
return redis.call('ZCOUNT', KEYS[5], now, '+inf')`;
