/**
 * CreateGroupId, DeleteGroupId and ListGroupId (API reference, `onsmqtt` 2020-04-20). Their error
 * codes differ from the other actions': `ParameterFieldCheckFailed` for a bad parameter,
 * `InstanceNotFound` for another instance, `GroupIdAlreadyExsited` for a group that exists.
 * @module
 */
import type { GroupRecord } from '../groups.js';
import { groupIdProblem } from '../groups.js';
import { requireInstance, type ActionContext, type ActionHandler } from './context.js';
import { groupIdAlreadyExists, parameterFieldCheckFailed } from './errors.js';

/** The Group ID store the actions need: the broker's `GroupStore`, or any with this shape. */
export interface OpenApiGroupStore {
  /** `false` when the group exists already. */
  create(groupId: string): boolean | Promise<boolean>;
  /** `false` when there was no such group. */
  delete(groupId: string): boolean | Promise<boolean>;
  /** Every group. */
  list(): readonly GroupRecord[] | Promise<readonly GroupRecord[]>;
}

function groupIdOf(context: ActionContext): string {
  const groupId = context.params.required('GroupId');
  const problem = groupIdProblem(groupId);
  if (problem) throw parameterFieldCheckFailed(`${problem}.`);
  return groupId;
}

/** The Group ID actions over `groups`. */
export function groupActions(groups: OpenApiGroupStore): Record<string, ActionHandler> {
  return {
    async CreateGroupId(context) {
      requireInstance(context, 'not-found');
      if (!(await groups.create(groupIdOf(context)))) throw groupIdAlreadyExists();
      return {};
    },
    async DeleteGroupId(context) {
      requireInstance(context, 'not-found');
      // Deleting a group that does not exist is no error (the reference lists no code for it): the
      // group is gone either way.
      await groups.delete(groupIdOf(context));
      return {};
    },
    async ListGroupId(context) {
      requireInstance(context, 'not-found');
      const data = (await groups.list()).map((g) => ({
        GroupId: g.GroupId,
        InstanceId: g.InstanceId,
        CreateTime: g.CreateTime,
        UpdateTime: g.UpdateTime,
        IndependentNaming: g.IndependentNaming,
      }));
      return { Data: data };
    },
  };
}
