/**
 * The Lua scripts of the Redis token store. Each runs atomically on the server, so a check and the
 * change it guards cannot be split by another process (`DELEX`, the built-in compare-and-delete,
 * needs Redis 8.4; these need nothing newer than Redis 5, and are tested on 7.0). A script touches
 * only the keys of one permission, which share a hash tag, so it runs on a cluster too; a script that
 * changes a token also publishes it (`PUBLISH` reaches every node of a cluster), atomically with the
 * change, so no process's near cache can miss a change that happened.
 * @module
 */

/** Deletes the lock `KEYS[1]` only while `ARGV[1]` (its holder) still holds it. */
export const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Extends the lock `KEYS[1]` to `ARGV[2]` ms only while `ARGV[1]` still holds it. */
export const EXTEND_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/**
 * Deletes the entry `KEYS[1]` only while it holds the token `ARGV[1]` (a late report never drops a
 * replacement), or whatever it holds when `ARGV[1]` is empty; a deletion publishes `ARGV[3]` on the
 * channel `ARGV[2]` (when given).
 */
export const DELETE_TOKEN = `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if ARGV[1] ~= '' then
  local ok, entry = pcall(cjson.decode, v)
  if not (ok and type(entry) == 'table' and entry.token == ARGV[1]) then return 0 end
end
redis.call('DEL', KEYS[1])
if ARGV[2] and ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return 1`;

/**
 * Writes the entry `ARGV[1]` to `KEYS[1]` for `ARGV[2]` ms, unless the entry there is for the same
 * permission (instance, resources, actions) and expires no sooner: a holder whose lock expired while
 * it worked never replaces the fresher token of the next holder. A write publishes `ARGV[5]` on the
 * channel `ARGV[4]` (when given). Then releases the lock `KEYS[2]` if `ARGV[3]` still holds it, so the
 * holder needs no second round trip. Answers 1 for a write, 0 for a token kept.
 */
export const WRITE_TOKEN = `local new = cjson.decode(ARGV[1])
local v = redis.call('GET', KEYS[1])
local keep = false
if v then
  local ok, old = pcall(cjson.decode, v)
  if ok and type(old) == 'table' and type(old.expiresAt) == 'number' and old.expiresAt >= new.expiresAt
    and old.instanceId == new.instanceId and old.actions == new.actions and type(old.resources) == 'table'
    and #old.resources == #new.resources then
    keep = true
    for i = 1, #new.resources do
      if old.resources[i] ~= new.resources[i] then keep = false end
    end
  end
end
if not keep then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
end
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
if keep then return 0 end
return 1`;

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
