/**
 * CreateGroupId, DeleteGroupId and ListGroupId (API reference, `onsmqtt` 2020-04-20). Their error
 * codes differ from the other actions': `ParameterFieldCheckFailed` for a bad parameter,
 * `InstanceNotFound` for another instance, `GroupIdAlreadyExsited` for a group that exists.
 * @module
 */
import type { GroupRecord } from '../groups.js';
import { groupIdProblem } from '../groups.js';
import { contractAction, type ActionHandler } from './context.js';
import { groupIdAlreadyExists, parameterFieldCheckFailed } from './error-answers.js';

/** The Group ID store the actions need: the broker's `GroupStore`, or any with this shape. */
export interface OpenApiGroupStore {
  /** `false` when the group exists already. */
  create(groupId: string): boolean | Promise<boolean>;
  /** `false` when there was no such group. */
  delete(groupId: string): boolean | Promise<boolean>;
  /** Every group. */
  list(): readonly GroupRecord[] | Promise<readonly GroupRecord[]>;
}

/** The Group ID rule (`GID_` or `GID-`, the client-id characters); `ParameterFieldCheckFailed` otherwise. */
function checkedGroupId(groupId: string): string {
  const problem = groupIdProblem(groupId);
  if (problem) throw parameterFieldCheckFailed(`${problem}.`);
  return groupId;
}

/** The Group ID actions over `groups`. */
export function groupActions(groups: OpenApiGroupStore): Record<string, ActionHandler> {
  return {
    CreateGroupId: contractAction('CreateGroupId', async ({ groupId }) => {
      if (!(await groups.create(checkedGroupId(groupId)))) throw groupIdAlreadyExists();
      return {};
    }),
    DeleteGroupId: contractAction('DeleteGroupId', async ({ groupId }) => {
      // Deleting a group that does not exist is no error (the reference lists no code for it): the
      // group is gone either way.
      await groups.delete(checkedGroupId(groupId));
      return {};
    }),
    ListGroupId: contractAction('ListGroupId', async () => ({
      groups: (await groups.list()).map((g) => ({
        groupId: g.GroupId,
        instanceId: g.InstanceId,
        createTime: g.CreateTime,
        updateTime: g.UpdateTime,
        independentNaming: g.IndependentNaming,
      })),
    })),
  };
}
