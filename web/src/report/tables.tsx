import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ErrorState, Loading } from '../components';

/** A table too wide for the screen, in a region that scrolls sideways and takes focus so the keys scroll it. */
export function TableRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus to be scrolled with the keys
    <section className="table-wrap" tabIndex={0} aria-label={label}>
      {children}
    </section>
  );
}

/**
 * The body of a drill-down that loads a page at a time: loading, the error with a retry, or what
 * `children` makes of the answer followed by a «more» button while the answer has more.
 */
export function PagedBody<T extends { next_offset: number | null }>({
  query,
  more,
  onMore,
  children,
}: {
  query: UseQueryResult<T>;
  more: string;
  onMore: () => void;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorState error={query.error} retry={() => query.refetch()} />;
  return (
    <>
      {children(query.data)}
      {query.data.next_offset !== null && (
        <button type="button" onClick={onMore}>
          {more}
        </button>
      )}
    </>
  );
}
