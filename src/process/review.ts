import sql from 'sql-template-tag';

/** Atypical deals wait here for the head of sales; until decided they stay out of managers' discipline figures. */
export const IN_REVIEW = sql`(d.atypical or exists (select 1 from segments s where s.workspace_id = d.workspace_id and s.id = d.segment_id and s.kind = 'atypical'))`;
