export const TASK_TYPES = ['call', 'meeting', 'email', 'proposal', 'follow_up', 'document', 'other'] as const;
export const TASK_STATUSES = ['open', 'done', 'skipped', 'cancelled'] as const;
