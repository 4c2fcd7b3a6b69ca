/**
 * The instance's Group IDs: what CreateGroupId, DeleteGroupId and ListGroupId manage on a real
 * instance. A client id is `<GroupId>@@@<DeviceId>`, and the service refuses a CONNECT whose GroupId
 * was never created (or was deleted: "disconnected clients of a deleted group fail authentication when
 * they reconnect", Manage groups, ApsaraMQ for MQTT user guide). The local broker enforces that only
 * when its config lists `groupIds`, so configs written before this store existed keep working.
 * @module
 */
import type { Clock } from '../clock.js';
import { _invalid } from '../errors.js';
import { validateClientId } from '../credentials/client-id.js';
import { _storeOptions } from './config.js';

/** One group as ListGroupId answers it. */
export interface GroupRecord {
  /** The GroupId (`GID_…`). */
  readonly GroupId: string;
  /** The instance. */
  readonly InstanceId: string;
  /** UNIX ms. */
  readonly CreateTime: number;
  /** UNIX ms. */
  readonly UpdateTime: number;
  /** The local broker is one instance with its own namespace. */
  readonly IndependentNaming: true;
}

/** Options of the {@link GroupStore} constructor. */
export interface GroupStoreOptions {
  /** The instance the records name. */
  instanceId: string;
  /** The groups that exist from the start; given (even empty), CONNECTs of other groups are refused. */
  groupIds?: readonly string[];
  /** The clock (default: the real one). */
  clock?: Clock;
}

/**
 * Why `groupId` is not a valid Group ID, or `undefined`: 7 to 64 characters, starting with `GID_` or
 * `GID-`, letters, digits, `-` and `_` only (CreateGroupId's documented rule, the same as the client
 * id rule for its first part).
 */
export function groupIdProblem(groupId: unknown): string | undefined {
  if (typeof groupId !== 'string' || groupId.length === 0) return 'groupId must be a non-empty string';
  if (groupId.includes('@@@')) return 'groupId must not contain "@@@"';
  const problem = validateClientId(`${groupId}@@@x`).problems.find((p) => p.field === 'groupId');
  return problem?.message;
}

/**
 * The Group IDs of one instance. `enforced` says whether CONNECTs are checked against it (config
 * `groupIds` given); the OpenAPI actions work either way.
 */
export class GroupStore {
  /** Whether a CONNECT's GroupId must exist here. */
  readonly enforced: boolean;
  readonly #groups = new Map<string, { createTime: number; updateTime: number }>();
  readonly #instanceId: string;
  readonly #clock: Clock;

  /** @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` naming `groupIds[i]`. */
  constructor(options: GroupStoreOptions) {
    const read = _storeOptions(options, '{ instanceId, groupIds?, clock? }');
    options = read.options;
    this.#instanceId = read.instanceId;
    this.#clock = read.clock;
    this.enforced = options.groupIds !== undefined;
    if (options.groupIds !== undefined && !Array.isArray(options.groupIds)) throw _invalid('groupIds', 'must be an array of Group IDs');
    (options.groupIds ?? []).forEach((groupId, i) => {
      const problem = groupIdProblem(groupId);
      if (problem) throw _invalid(`groupIds[${i}]`, problem.replace(/^groupId /, ''));
      this.create(groupId);
    });
  }

  /**
   * CreateGroupId: `false` when the group exists already.
   * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` (field `groupId`) for an invalid Group ID.
   */
  create(groupId: string): boolean {
    const problem = groupIdProblem(groupId);
    if (problem) throw _invalid('groupId', problem.replace(/^groupId /, ''));
    if (this.#groups.has(groupId)) return false;
    const now = this.#clock.now();
    this.#groups.set(groupId, { createTime: now, updateTime: now });
    return true;
  }

  /** DeleteGroupId: `false` when there was no such group. Connected clients of the group stay connected. */
  delete(groupId: string): boolean {
    return this.#groups.delete(groupId);
  }

  /** Whether the group exists. */
  has(groupId: string): boolean {
    return this.#groups.has(groupId);
  }

  /** May a client of this GroupId connect? Always, unless the store is enforced. */
  admits(groupId: string): boolean {
    return !this.enforced || this.#groups.has(groupId);
  }

  /** ListGroupId: every group, oldest first. */
  list(): GroupRecord[] {
    return [...this.#groups].map(([GroupId, t]) =>
      Object.freeze({ GroupId, InstanceId: this.#instanceId, CreateTime: t.createTime, UpdateTime: t.updateTime, IndependentNaming: true as const }),
    );
  }

  /** How many groups exist. */
  get size(): number {
    return this.#groups.size;
  }
}
