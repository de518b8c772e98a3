/** "A remark on the standard" from a card (issue 17): placeholder until the remarks feature lands. */
export function RemarkButton(_props: { object: 'deal' | 'company' | 'contact' | 'lead'; recordId: number; stageId?: number | null }) {
  return null;
}
