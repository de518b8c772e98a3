import { z } from 'zod';
import { oneOf, readTime, requiredText, WHAT } from '../platform/resource/fields.ts';
import type { Resource } from '../platform/resource/resource.ts';

export const segments: Resource = {
  path: 'segments',
  table: 'segments',
  what: WHAT.segment,
  defaultSort: 'position',
  fields: {
    name: requiredText(200, { filter: 'text', sort: true }),
    kind: oneOf(['typical', 'atypical'], {
      description: 'Deals of an atypical segment go to the head of sales for review, outside managers’ discipline figures',
    }),
    position: {
      out: z.number().int(),
      in: z.number().int().min(0).max(100_000),
      sort: true,
    },
    created_at: readTime(),
  },
};
