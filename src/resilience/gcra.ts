/**
 * The one rate-limit algorithm of the platform (SPEC §3.5): GCRA, the generic cell rate algorithm,
 * on Redis time. A key holds the theoretical arrival time (TAT, ms) of the next conforming call;
 * with emission interval I = 1000 / rate and tolerance τ = burst × I, a call at `now` conforms when
 * max(TAT, now) − τ ≤ now, and taking it moves TAT to max(TAT, now) + I. Over any window of T
 * seconds that admits at most burst + 1 + rate × T calls; fractional rates work (0.1/s: I = 10 s).
 *
 * Used twice: inside the connector permit script (resilience.scripts.ts) and, standalone, by the
 * api's per-tenant request limit (src/edge-limits).
 */

/** Lua helpers: `gcra_check` decides without writing, `gcra_take` records a taken call. */
export const GCRA_FUNCTIONS = `local function gcra_check(key, now, interval, tolerance)
  local tat = math.max(tonumber(redis.call('GET', key) or '0') or 0, now)
  local wait = tat - tolerance - now
  if wait > 0 then return wait, tat end
  return 0, tat + interval
end
local function gcra_take(key, now, next_tat)
  -- %.3f keeps microseconds: tostring() would round epoch milliseconds to 14 digits.
  -- The key may linger a second past its use: an expired TAT reads as "no calls lately" anyway.
  redis.call('SET', key, string.format('%.3f', next_tat), 'PX', math.ceil(next_tat - now) + 1000)
end`;

/**
 * One call against one key. KEYS: 1 the TAT key. ARGV: 1 permits per second (> 0), 2 burst,
 * 3 now in ms — optional, for tests that drive the clock; without it Redis' own clock is used.
 * Returns {allowed 1/0, ms until a call would conform, calls still allowed at once, ms until the
 * key is back to empty}.
 */
export const GCRA_SCRIPT = `${GCRA_FUNCTIONS}
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local interval = 1000 / tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2]) * interval
local wait, tat = gcra_check(KEYS[1], now, interval, tolerance)
if wait > 0 then return {0, math.ceil(wait), 0, math.ceil(tat - now)} end
gcra_take(KEYS[1], now, tat)
local remaining = math.max(0, math.floor((tolerance - (tat - now)) / interval) + 1)
return {1, 0, remaining, math.ceil(tat - now)}`;

/** The reply of GCRA_SCRIPT. */
export interface GcraReply {
  allowed: boolean;
  retryAfterMs: number;
  remaining: number;
  resetMs: number;
}

export function toGcraReply([allowed, retryAfterMs, remaining, resetMs]: [number, number, number, number]): GcraReply {
  return { allowed: allowed === 1, retryAfterMs: Number(retryAfterMs), remaining: Number(remaining), resetMs: Number(resetMs) };
}
