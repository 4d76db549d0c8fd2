import { GCRA_FUNCTIONS } from './gcra';

/**
 * Lua scripts that make every breaker/limiter decision atomic in one Redis round trip, on Redis
 * server time (no clock skew between workers). Keys of one connector share a hash tag, so they
 * live in one Cluster slot. KEYS: 1 breaker state (hash), 2 failure window (hash of
 * `<bucket>:c|f` counters), 3 half-open probes (zset token→expiry), 4 rate limit (GCRA
 * theoretical arrival time, see gcra.ts), 5 concurrency leases (zset token→expiry), 6 reserved
 * rate slots (zset waiter→slot time), 7 the GCRA of the calls actually let through, 8 the queue of
 * waiters for a lease or probe (zset job→virtual time), 9 turns handed to waiters (zset
 * job→expiry), 10 the queue's clock (hash: `vnow`, `t:<tenant>` the tenant's last virtual time, the
 * pace of turns), 11 waiters waiting inside an attempt (zset job→expiry), 12 waiters signalled and on
 * their way (zset job→until when not to signal again).
 *
 * A slot (lease or probe) carries its own expiry as its score; the key's own expiry is only
 * garbage collection, pushed out at every grant and renewal so that it never expires before a
 * live slot does.
 */

/** KEYS of every script, by name (resilience-store.ts prefixes them with the connector's hash tag). */
export const CONNECTOR_KEYS = ['breaker', 'window', 'probes', 'gcra', 'leases', 'reserved', 'calls', 'queue', 'turns', 'queue-clock', 'awake', 'notified'] as const;

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * The waiters of a concurrency limit and of half-open probes (SPEC §3.11). A job turned away joins
 * a queue and sleeps; when a slot frees, whoever frees it hands the queue's head a *turn* (the slot
 * kept for that job for a few seconds) and the caller signals that job's workflow. Nobody without a
 * turn takes a slot while others queue (no barging). Fair share: start-time fair queueing — a
 * waiter's virtual time is one past the later of its tenant's last and the one last served, so
 * tenants with a backlog alternate and each tenant's own waiters keep their order.
 *
 * So that a freed slot is not left idle for a wake-up's latency (signal, workflow task, activity
 * task), the queue's first few — as many as can be served at once — are kept *awake*: signalled
 * ahead of their turn, each waits inside its attempt activity (asking again every few ms, heartbeating)
 * and takes the slot the moment it is handed. KEYS[11] holds who is waiting inside an attempt now
 * (job→expiry), KEYS[12] who was signalled and is on the way (job→until when not to signal again).
 */
const QUEUE = `local RELEASE_WIDTH = 8
local MIN_SLEEP_MS = 10000
local AWAKE_MS = 1000
local NOTICE_MS = 10000
local function live(key)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  return redis.call('ZCARD', key)
end
-- Slots free for queued waiters: leases (and probes, half-open) not held, less turns handed out.
-- With no limit but the breaker, RELEASE_WIDTH turns at a time: each grant hands the next one.
local function room(breaker_on, max_in_flight, half_open_max)
  local free = RELEASE_WIDTH
  if max_in_flight > 0 then free = max_in_flight - live(KEYS[5]) end
  if breaker_on then
    local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
    if state == 'open' and now < tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0') then return 0 end
    if state ~= 'closed' then free = math.min(free, half_open_max - live(KEYS[3])) end
  end
  return free - live(KEYS[9])
end
-- The queue's pace: a moving average of the gap between two turns (idle spells left out).
local function note_turn()
  local last = tonumber(redis.call('HGET', KEYS[10], 'turn_at') or '')
  if last and now - last < 60000 then
    local gap = tonumber(redis.call('HGET', KEYS[10], 'gap') or '') or (now - last)
    redis.call('HSET', KEYS[10], 'gap', gap * 0.8 + (now - last) * 0.2)
  end
  redis.call('HSET', KEYS[10], 'turn_at', now)
end
-- A queued waiter's safety timer: twice the wait the queue's pace predicts for its place (at least
-- MIN_SLEEP_MS, at most max_ms), so that a queue lost with Redis' data strands nobody for long,
-- while a waiter woken in time never wakes early on its own.
local function sleep_for(position, max_ms)
  local gap = tonumber(redis.call('HGET', KEYS[10], 'gap') or '') or 1000
  return math.floor(math.min(max_ms, 2 * (position + 1) * gap + MIN_SLEEP_MS))
end
-- Signals a waiter unless it waits inside an attempt already, or was signalled and is on its way.
local function signal(waiter, woken)
  redis.call('ZREMRANGEBYSCORE', KEYS[11], '-inf', now)
  redis.call('ZREMRANGEBYSCORE', KEYS[12], '-inf', now)
  if redis.call('ZSCORE', KEYS[11], waiter) or redis.call('ZSCORE', KEYS[12], waiter) then return end
  redis.call('ZADD', KEYS[12], now + NOTICE_MS, waiter)
  redis.call('PEXPIRE', KEYS[12], NOTICE_MS * 2)
  woken[#woken + 1] = waiter
end
local function hand_turns(free, turn_ms, woken)
  while free > 0 do
    local head = redis.call('ZPOPMIN', KEYS[8])
    if #head == 0 then break end
    note_turn()
    redis.call('HSET', KEYS[10], 'vnow', head[2])
    redis.call('ZADD', KEYS[9], now + turn_ms, head[1])
    redis.call('PEXPIRE', KEYS[9], turn_ms * 2)
    signal(head[1], woken)
    free = free - 1
  end
end
-- How many of the queue's head are kept awake: as many as can be served at once (none while open).
local function awake_width(breaker_on, max_in_flight, half_open_max)
  local width = RELEASE_WIDTH
  if max_in_flight > 0 then width = math.min(width, max_in_flight) end
  if breaker_on then
    local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
    if state == 'open' and now < tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0') then return 0 end
    if state ~= 'closed' then width = math.min(width, half_open_max) end
  end
  return width
end
-- Free slots become turns for the head, and the head is kept awake.
local function serve(breaker_on, max_in_flight, half_open_max, turn_ms, woken)
  if redis.call('EXISTS', KEYS[8]) == 0 then return end
  hand_turns(room(breaker_on, max_in_flight, half_open_max), turn_ms, woken)
  local width = awake_width(breaker_on, max_in_flight, half_open_max)
  if width > 0 then
    for _, waiter in ipairs(redis.call('ZRANGE', KEYS[8], 0, width - 1)) do signal(waiter, woken) end
  end
end
local function enqueue(waiter, tenant)
  if redis.call('ZSCORE', KEYS[8], waiter) then return redis.call('ZRANK', KEYS[8], waiter) end
  local vt = math.max(tonumber(redis.call('HGET', KEYS[10], 'vnow') or '0'), tonumber(redis.call('HGET', KEYS[10], 't:' .. tenant) or '0')) + 1
  redis.call('HSET', KEYS[10], 't:' .. tenant, vt)
  redis.call('ZADD', KEYS[8], vt, waiter)
  redis.call('PEXPIRE', KEYS[8], 86400000)
  redis.call('PEXPIRE', KEYS[10], 86400000)
  return redis.call('ZRANK', KEYS[8], waiter)
end
-- The queue's first n (they wake to learn a new open time).
local function heads(n, woken)
  for _, waiter in ipairs(redis.call('ZRANGE', KEYS[8], 0, n - 1)) do
    redis.call('ZREM', KEYS[12], waiter)
    signal(waiter, woken)
  end
end`;

const OPEN = `local function open_breaker(open_ms)
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', now, 'open_until', now + open_ms)
  redis.call('DEL', KEYS[2], KEYS[3])
end`;

/**
 * ARGV: 1 breaker enabled (1/0), 2 halfOpenMaxCalls, 3 permits per second (0 = no rate limit),
 * 4 burst, 5 maxInFlight (0 = none), 6 slot ttl ms, 7 token, 8 the longest a queued waiter sleeps
 * unless woken (the safety net for a lost wake-up; shorter near the head, see sleep_for), ms, 9 waiter (the job; '' = none: no
 * reservations, no queue), 10 how late a reserved slot or a turn may still be used, ms, 11 the
 * waiter's tenant (fair share), 12 now in ms — optional, for tests that drive the clock (as in
 * gcra.ts); without it Redis' own clock is used, 13 how often a waiter near the head of the queue
 * asks while waiting inside its attempt, ms (0 or none: it cannot, and sleeps instead).
 * Returns {granted 1/0, reason, retryAfterMs, transition, probe 1/0, {jobs to wake}, wait inside
 * 1/0 (ask again after retryAfterMs without leaving the attempt)}. Nothing is taken unless all pass.
 *
 * Rate limit with a waiter: a job the GCRA (KEYS[4]) turns away reserves the next free slot (GCRA
 * hands out future slots by moving TAT on) and is told the exact time of its slot. From that time
 * the slot is its own: waiters are served in the order they asked, each with one wait, and a
 * newcomer queues behind every reserved slot (no barging). A call still goes only when it conforms
 * to a second GCRA over the calls actually let through (KEYS[7]), so a slot used late never bunches
 * with the next one: the limit holds exactly however late waiters come. A slot not used within the
 * lateness allowance lapses (the job lost, cancelled or held back by the breaker or concurrency):
 * its job asks again at the back.
 *
 * Concurrency and half-open probes with a waiter: see QUEUE. A queued waiter sleeps for ARGV[8]
 * unless woken; while the breaker is open, the first halfOpenMaxCalls of the queue sleep until it
 * half-opens instead, the rest stay asleep.
 */
export const ACQUIRE = `${NOW}
if ARGV[12] and ARGV[12] ~= '' then now = tonumber(ARGV[12]) end
${GCRA_FUNCTIONS}
${QUEUE}
local transition = ''
local probe = 0
local sleep_ms = tonumber(ARGV[8])
local breaker_on = ARGV[1] == '1'
local half_open_max, max_in_flight, ttl = tonumber(ARGV[2]), tonumber(ARGV[5]), tonumber(ARGV[6])
local waiter, lateness, tenant = ARGV[9], tonumber(ARGV[10]), ARGV[11] or ''
local inside_poll = tonumber(ARGV[13] or '') or 0
local woken = {}
local function serve_others() serve(breaker_on, max_in_flight, half_open_max, lateness, woken) end
-- Queued: near the head (and able to), the waiter waits inside its attempt, asking every
-- inside_poll ms; else it sleeps on its safety timer until signalled.
local function queued(reason)
  local position = enqueue(waiter, tenant)
  if inside_poll > 0 and position < awake_width(breaker_on, max_in_flight, half_open_max) then
    return {0, reason, inside_poll, transition, 0, woken, 1}
  end
  redis.call('ZREM', KEYS[11], waiter)
  return {0, reason, sleep_for(position, sleep_ms), transition, 0, woken, 0}
end
if breaker_on then
  local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
  if state == 'open' then
    local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
    if now < open_until then
      if waiter == '' then return {0, 'circuit_open', open_until - now, '', 0, woken, 0} end
      local position = enqueue(waiter, tenant)
      redis.call('ZREM', KEYS[11], waiter)
      redis.call('ZREM', KEYS[12], waiter)
      local wait = open_until - now
      if position >= half_open_max then wait = math.max(wait, sleep_for(position, sleep_ms)) end
      return {0, 'circuit_open', wait, '', 0, woken, 0}
    end
    redis.call('HSET', KEYS[1], 'state', 'half_open', 'half_opened_at', now)
    redis.call('DEL', KEYS[3])
    state = 'half_open'
    transition = 'half_opened'
  end
  if state == 'half_open' then probe = 1 end
end
local has_turn = false
if waiter ~= '' then
  -- It is here: not to be signalled while it asks, and no longer on its way.
  redis.call('ZREM', KEYS[12], waiter)
  redis.call('ZADD', KEYS[11], now + AWAKE_MS, waiter)
  redis.call('PEXPIRE', KEYS[11], AWAKE_MS * 2)
  -- Free slots go to the queue's head first; a waiter without a turn queues behind it. (It counts
  -- as awake here, so it is not signalled to itself.)
  serve_others()
  live(KEYS[9])
  has_turn = redis.call('ZSCORE', KEYS[9], waiter) ~= false
  if not has_turn and redis.call('EXISTS', KEYS[8]) == 1 then
    return queued(probe == 1 and 'circuit_open' or (max_in_flight > 0 and 'concurrency_limited' or 'circuit_open'))
  end
end
-- Turns handed to others hold their slots.
local others = live(KEYS[9]) - (has_turn and 1 or 0)
if probe == 1 and live(KEYS[3]) + others >= half_open_max then
  if waiter == '' then return {0, 'circuit_open', sleep_ms, transition, 0, woken, 0} end
  return queued('circuit_open')
end
local rate, burst = tonumber(ARGV[3]), tonumber(ARGV[4])
local slot_tat, call_tat = 0, 0
local reserved = false
local function rate_wait(wait)
  if waiter ~= '' then
    -- A turn is for a call now: handed back, and on to the next waiter.
    if has_turn then
      redis.call('ZREM', KEYS[9], waiter)
      serve_others()
    end
    redis.call('ZREM', KEYS[11], waiter)
  end
  return {0, 'rate_limited', math.ceil(wait), transition, 0, woken, 0}
end
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
    if now < slot then return rate_wait(slot - now) end
    reserved = true
  else
    local wait
    wait, slot_tat = gcra_check(KEYS[4], now, interval, tolerance)
    if wait > 0 then
      -- slot_tat is max(TAT, now) here: the reserved slot conforms at now + wait.
      if waiter ~= '' then reserve(now + wait, slot_tat + interval) end
      return rate_wait(wait)
    end
  end
  local call_wait
  call_wait, call_tat = gcra_check(KEYS[7], now, interval, tolerance)
  if call_wait > 0 then
    -- A late slot went just before: this one is due, and kept, but waits until the call conforms.
    if not reserved and waiter ~= '' then reserve(now, slot_tat) end
    return rate_wait(call_wait)
  end
end
if max_in_flight > 0 and live(KEYS[5]) + others >= max_in_flight then
  if waiter == '' then return {0, 'concurrency_limited', sleep_ms, transition, 0, woken, 0} end
  return queued('concurrency_limited')
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
if waiter ~= '' then
  if has_turn then redis.call('ZREM', KEYS[9], waiter) end
  -- The next of the queue come awake (with no slot to hold — breaker only — the turn was one of
  -- RELEASE_WIDTH: the next one goes on).
  serve_others()
  redis.call('ZREM', KEYS[11], waiter)
end
return {1, '', 0, transition, probe, woken, 0}`;

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
 * nothing), 3 token, 4 probe (1/0), 5 windowMs, 6 minimumCalls, 7 failureRateThreshold, 8 openMs,
 * 9 maxInFlight, 10 halfOpenMaxCalls, 11 how long a turn is kept, ms.
 * Returns {the breaker transition it caused ('opened', 'closed' or ''), {jobs to wake}}: the freed
 * slots as turns to the queue's head, or, when it opened the breaker, the queue's first
 * halfOpenMaxCalls, to sleep until the new half-open time.
 */
export const REPORT = `${NOW}
${OPEN}
${QUEUE}
local function decide()
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
  return ''
end
local transition = decide()
local woken = {}
if redis.call('EXISTS', KEYS[8]) == 1 then
  local half_open_max = tonumber(ARGV[10])
  if transition == 'opened' then heads(half_open_max, woken)
  else serve(ARGV[1] == '1', tonumber(ARGV[9]), half_open_max, tonumber(ARGV[11]), woken) end
end
return {transition, woken}`;

/**
 * A job that ended (cancelled, timed out, failed) leaves the queue and hands back a turn it held.
 * ARGV: 1 the job, 2 breaker enabled, 3 maxInFlight, 4 halfOpenMaxCalls, 5 how long a turn is
 * kept, ms. Returns the jobs to wake.
 */
export const LEAVE = `${NOW}
${QUEUE}
local woken = {}
redis.call('ZREM', KEYS[8], ARGV[1])
redis.call('ZREM', KEYS[9], ARGV[1])
redis.call('ZREM', KEYS[11], ARGV[1])
redis.call('ZREM', KEYS[12], ARGV[1])
serve(ARGV[2] == '1', tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), woken)
return woken`;

/**
 * Operator actions. ARGV: 1 'reset'|'open', 2 openMs, 3 maxInFlight, 4 halfOpenMaxCalls, 5 how
 * long a turn is kept, ms. Returns {the transition ('closed'/'opened') or '' when the breaker
 * already was in that state, {jobs to wake}}: after a reset, turns for the queue's head; after
 * opening, the queue's first halfOpenMaxCalls, to sleep until it half-opens.
 */
export const FORCE = `${NOW}
${OPEN}
${QUEUE}
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
local woken = {}
local queue = redis.call('EXISTS', KEYS[8]) == 1
if ARGV[1] == 'reset' then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  if queue then serve(true, tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), woken) end
  if state == 'closed' then return {'', woken} end
  return {'closed', woken}
end
open_breaker(tonumber(ARGV[2]))
if queue then heads(tonumber(ARGV[4]), woken) end
if state == 'open' then return {'', woken} end
return {'opened', woken}`;

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
