import { describe, expect, it } from 'vitest';
import { matchRanges, splitByMatches } from '../../web/src/search/match.ts';

const marked = (text: string, q: string) =>
  splitByMatches(text, q)
    .filter((p) => p.mark)
    .map((p) => p.text);

describe('what a search result marks', () => {
  it('marks each word of the query, in any case', () => {
    expect(marked('ООО «Ромашка» · Москва', 'ромашка')).toEqual(['Ромашка']);
    expect(marked('Поставка станков — «Ромашка»', 'станков ром')).toEqual(['станков', 'Ром']);
    expect(marked('Лицензии и поддержка', 'ПОДДЕРЖКА')).toEqual(['поддержка']);
  });

  it('marks the stem of another case ending at the start of a word', () => {
    expect(marked('Юлия Козловой', 'Козлова')).toEqual(['Козлов']);
    expect(marked('Михаил Козлов', 'Козлова')).toEqual(['Козлов']);
    // Not in the middle of a word.
    expect(marked('Перекозлов', 'Козлова')).toEqual([]);
  });

  it('marks digits across a phone’s separators and an INN’s prefix', () => {
    expect(marked('+7 (916) 123-45-67', '9161234567')).toEqual(['916) 123-45-67']);
    expect(marked('+7 (916) 123-45-67', '916 123')).toEqual(['916) 123']);
    expect(marked('7701234567 · Москва', '7701')).toEqual(['7701']);
  });

  it('merges overlapping marks and keeps the text whole', () => {
    expect(matchRanges('abcabc', 'abc bca')).toEqual([[0, 6]]);
    const parts = splitByMatches('Олег Козлов, Козлов и сын', 'козлов');
    expect(parts.map((p) => p.text).join('')).toBe('Олег Козлов, Козлов и сын');
    expect(parts.filter((p) => p.mark)).toHaveLength(2);
    expect(splitByMatches('Нет совпадений', 'xyz')).toEqual([{ text: 'Нет совпадений', mark: false }]);
    expect(splitByMatches('Что-то', '  ')).toEqual([{ text: 'Что-то', mark: false }]);
  });
});
