import { oneOf, readTime, requiredText, WHAT } from '../platform/resource/fields.ts';
import type { Resource } from '../platform/resource/resource.ts';

export const channels: Resource = {
  path: 'channels',
  table: 'channels',
  what: WHAT.channel,
  defaultSort: 'name',
  fields: {
    name: requiredText(200, { filter: 'text', sort: true }),
    kind: oneOf(['inbound', 'outbound', 'partner', 'other']),
    created_at: readTime(),
  },
};
