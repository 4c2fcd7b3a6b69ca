/**
 * The Lua scripts of the Redis token store. Each runs atomically on the server, so a check and the
 * change it guards cannot be split by another process (`DELEX`, the built-in compare-and-delete,
 * needs Redis 8.4; these need nothing newer than Redis 5, and are tested on 7.0).
 * @module
 */

/** Deletes the lock `KEYS[1]` only while `ARGV[1]` (its holder) still holds it. */
export const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Extends the lock `KEYS[1]` to `ARGV[2]` ms only while `ARGV[1]` still holds it. */
export const EXTEND_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** Deletes the entry `KEYS[1]` only while it holds the token `ARGV[1]` (a late report never drops a replacement). */
export const DELETE_TOKEN = `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, entry = pcall(cjson.decode, v)
if ok and type(entry) == 'table' and entry.token == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * The generic cell rate algorithm on the key `KEYS[1]` (its theoretical arrival time, ms) by the
 * server's clock, one clock for the whole fleet. Books the caller's turn, when `tat` is at most
 * `ARGV[2]` ms ahead, moving `tat` on by `ARGV[1]` ms, and answers the ms until that turn; or answers
 * -1, booking nothing, when the turn is more than `ARGV[3]` ms away.
 */
export const ADMIT = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local delay = math.max(0, math.ceil(tat - tolerance - now))
if delay > tonumber(ARGV[3]) then return -1 end
redis.call('SET', KEYS[1], string.format('%.3f', tat + interval), 'PX', math.ceil(tat + interval - now) + 1000)
return delay`;
