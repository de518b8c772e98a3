import { z } from 'zod';
import { fieldIssue, validationError } from '../platform/errors.ts';
import { readTime, ref, requiredText, text, WHAT, writeTime } from '../platform/resource/fields.ts';
import { idSchema, type Resource } from '../platform/resource/resource.ts';

import { onTaskDone } from './playbooks.ts';
import { TASK_STATUSES, TASK_TYPES } from './task-kinds.ts';

export { TASK_STATUSES, TASK_TYPES };

export const tasks: Resource = {
  path: 'tasks',
  table: 'tasks',
  access: 'tasks',
  what: WHAT.task,
  defaultSort: 'due_at',
  fields: {
    title: requiredText(300, { filter: 'text', sort: true }),
    type: { out: z.enum(TASK_TYPES), in: z.enum(TASK_TYPES), filter: 'eq' },
    status: {
      out: z.enum(TASK_STATUSES),
      in: z.enum(TASK_STATUSES),
      filter: 'eq',
      sort: true,
      description: 'Setting done stamps done_at (now unless given)',
    },
    deal_id: ref('deals', WHAT.deal),
    contract_id: {
      out: idSchema.nullable(),
      filter: 'eq',
      description: 'The contract whose renewal this task prepares (kept by the renewal playbook, N business days before its end)',
    },
    owner_id: ref('users', WHAT.user, {
      description: 'Defaults to the caller',
    }),
    due_at: writeTime(),
    done_at: writeTime({
      description: 'When the task was done; only with status done',
    }),
    notes: text(20_000),
    created_at: readTime(),
    updated_at: readTime(),
  },
  beforeWrite: async ({ ctx, principal, values, existing }) => {
    if (!existing && values.owner_id === undefined) values.owner_id = principal.userId;
    const status = (values.status ?? existing?.status ?? 'open') as string;
    const createdAt = (existing?.created_at as Date | undefined) ?? ctx.clock.now();
    if (status === 'done') {
      if (values.done_at === undefined || values.done_at === null) values.done_at = existing?.done_at ?? ctx.clock.now();
      const done = new Date(values.done_at as string | Date);
      if (done.getTime() < createdAt.getTime()) {
        throw validationError([
          fieldIssue(
            'done_at',
            `a task cannot be done (${done.toISOString()}) before it was created (${createdAt.toISOString()})`,
            `задачу нельзя выполнить (${done.toISOString()}) раньше, чем она создана (${createdAt.toISOString()})`,
          ),
        ]);
      }
    } else if (values.done_at !== undefined && values.done_at !== null) {
      throw validationError([
        fieldIssue(
          'done_at',
          'only a done task has done_at: set status to done',
          'дата выполнения бывает только у выполненной задачи: укажите status done',
        ),
      ]);
    } else {
      values.done_at = null;
    }
    values.status = status;
    // Skipped and cancelled tasks remember when (reports as of an earlier date still see them open).
    const wasClosed = existing?.status === 'skipped' || existing?.status === 'cancelled';
    if (status === 'skipped' || status === 'cancelled') values.closed_at = wasClosed ? existing?.closed_at : ctx.clock.now();
    else values.closed_at = null;
  },
  afterUpdate: async ({ tx, ctx, principal, row, existing }) => {
    if (row.status === 'done' && existing?.status !== 'done') await onTaskDone(tx, ctx, principal.workspaceId, row);
  },
};
