import {
  type Announcements,
  DndContext,
  type DragEndEvent,
  DragOverlay,
  type DragStartEvent,
  type KeyboardCoordinateGetter,
  KeyboardSensor,
  PointerSensor,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { type KeyboardEvent, useCallback, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useSearch } from 'wouter';
import { ApiError, api, type Board, type BoardCard, type BoardColumn, type Me, type Missing } from '../api';
import { ErrorState, Loading } from '../components';
import { days, estimateMinorMoney, money, pct } from '../format';
import { usePipelines, useUsers } from '../lookups';
import { MoveDialog } from './MoveDialog';

function CardBody({ card, currency }: { card: BoardCard; currency: string }) {
  const { t } = useTranslation();
  return (
    <>
      <div className="card-top">
        <span className="card-title">{card.title}</span>
        {card.stuck && (
          <span className="badge stuck" title={t('board.stuckHint')}>
            {t('board.stuck')}
          </span>
        )}
      </div>
      <div className="card-company">{card.company ?? t('common.none')}</div>
      <div className="card-bottom">
        <span className="card-amount">{money(card.amount_minor, currency)}</span>
        <span className={`card-age${card.stuck ? ' bad' : ''}`} title={t('board.inStage')}>
          {days(card.days_in_stage)}
        </span>
      </div>
      {card.owner && <div className="card-owner">{card.owner}</div>}
    </>
  );
}

/**
 * The arrow keys of a keyboard drag jump from stage to stage (dnd-kit's default moves 25 px a
 * press): → and ← put the card over the next or previous column, at its top.
 */
const stageByStage: KeyboardCoordinateGetter = (event, { context, currentCoordinates }) => {
  const rect = context.collisionRect;
  if (!rect || (event.code !== 'ArrowRight' && event.code !== 'ArrowLeft')) return currentCoordinates;
  event.preventDefault();
  const centre = rect.left + rect.width / 2;
  const cols = [...context.droppableRects.values()].sort((a, b) => a.left - b.left);
  const target =
    event.code === 'ArrowRight'
      ? cols.find((c) => c.left + c.width / 2 > centre + 1)
      : cols.reverse().find((c) => c.left + c.width / 2 < centre - 1);
  if (!target) return currentCoordinates;
  return {
    x: currentCoordinates.x + target.left + target.width / 2 - centre,
    y: currentCoordinates.y + target.top + 8 - rect.top,
  };
};

/** Moves focus from a card to the next or previous card of the board, drawing it first if the list had not. */
type Walk = (stageId: number, index: number, step: 1 | -1) => boolean;

/** A column's list, for the board's Tab order: scroll to a card and find its element once drawn. */
type ColumnHandle = { count: number; scrollTo: (index: number) => void; find: (index: number) => HTMLElement | null };

function DraggableCard({
  card,
  stageId,
  index,
  currency,
  onOpen,
  walk,
}: {
  card: BoardCard;
  stageId: number;
  index: number;
  currency: string;
  onOpen: (id: number) => void;
  walk: Walk;
}) {
  const { t } = useTranslation();
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({
    id: `deal-${card.id}`,
    data: { card, stageId },
    attributes: { roleDescription: t('layout.dnd.role') },
  });
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: dnd-kit's attributes give the card role="button" and keyboard handling
    <div
      ref={setNodeRef}
      className={`deal-card${isDragging ? ' dragging' : ''}${card.stuck ? ' is-stuck' : ''}`}
      data-testid={`card-${card.id}`}
      data-deal-title={card.title}
      data-card-index={index}
      {...attributes}
      {...listeners}
      onClick={() => onOpen(card.id)}
      onKeyDown={(e: KeyboardEvent<HTMLDivElement>) => {
        // Tab walks every card in order, those the virtualised list has not drawn yet included.
        if (e.key === 'Tab' && !e.altKey && !e.ctrlKey && !e.metaKey && walk(stageId, index, e.shiftKey ? -1 : 1)) {
          e.preventDefault();
          return;
        }
        listeners?.onKeyDown?.(e);
        if (e.key === 'Enter') onOpen(card.id);
      }}
    >
      <CardBody card={card} currency={currency} />
    </div>
  );
}

/** One stage: a drop target whose cards are virtualised (thousands of deals stay smooth). */
function Column({
  col,
  currency,
  onOpen,
  walk,
  register,
}: {
  col: BoardColumn;
  currency: string;
  onOpen: (id: number) => void;
  walk: Walk;
  register: (stageId: number, handle: ColumnHandle | null) => void;
}) {
  const { t } = useTranslation();
  const { setNodeRef, isOver } = useDroppable({ id: `stage-${col.stage_id}`, data: { stageId: col.stage_id } });
  const scroller = useRef<HTMLDivElement>(null);
  const virt = useVirtualizer({ count: col.deals.length, getScrollElement: () => scroller.current, estimateSize: () => 118, overscan: 6 });
  register(col.stage_id, {
    count: col.deals.length,
    scrollTo: (index) => virt.scrollToIndex(index, { align: 'auto' }),
    find: (index) => scroller.current?.querySelector<HTMLElement>(`[data-card-index="${index}"]`) ?? null,
  });
  const terminal = col.kind !== 'open';
  return (
    <section
      ref={setNodeRef}
      className={`column ${col.kind}${isOver ? ' over' : ''}`}
      aria-label={col.name}
      data-testid={`column-${col.name}`}
    >
      <header className="column-head">
        <h2>{col.name}</h2>
        {!terminal ? (
          <div className="column-figures">
            <span data-testid="column-count">{t('format.deals', { count: col.count })}</span>
            <span className="strong">{money(col.amount_minor, currency)}</span>
            <span className="muted" title={`${t('dash.probability')}: ${pct(col.probability)}`}>
              {t('board.weighted')} {estimateMinorMoney(col.weighted_minor, currency)}
            </span>
          </div>
        ) : (
          <div className="column-figures muted">{t('board.dropHere')}</div>
        )}
      </header>
      {!terminal && (
        <div className="column-body" ref={scroller}>
          {col.deals.length === 0 ? (
            <p className="muted small">{t('board.noCards')}</p>
          ) : (
            <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
              {virt.getVirtualItems().map((v) => (
                <div
                  key={col.deals[v.index].id}
                  style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${v.start}px)` }}
                  ref={virt.measureElement}
                  data-index={v.index}
                >
                  <DraggableCard
                    card={col.deals[v.index]}
                    stageId={col.stage_id}
                    index={v.index}
                    currency={currency}
                    onOpen={onOpen}
                    walk={walk}
                  />
                </div>
              ))}
            </div>
          )}
        </div>
      )}
    </section>
  );
}

export function BoardPage({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const search = new URLSearchParams(useSearch());
  const [owner, setOwner] = useState(search.get('owner_id') ?? '');
  const [pipelineId, setPipelineId] = useState(search.get('pipeline_id') ?? '');
  const pipelines = usePipelines();
  const [q, setQ] = useState('');
  const [active, setActive] = useState<BoardCard | null>(null);
  const [pending, setPending] = useState<{
    card: BoardCard;
    stageId: number;
    stageName: string;
    missing: Missing[];
    lost?: boolean;
  } | null>(null);
  const [toast, setToast] = useState<string | null>(null);
  const users = useUsers();
  const params = new URLSearchParams();
  if (pipelineId) params.set('pipeline_id', pipelineId);
  if (owner) params.set('owner_id', owner);
  if (q.trim()) params.set('q', q.trim());
  // While a new search or filter loads, the previous board stays on screen (and the search box keeps focus).
  const board = useQuery({
    queryKey: ['board', params.toString()],
    queryFn: () => api<Board>(`/board?${params.toString()}`),
    placeholderData: keepPreviousData,
  });
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(KeyboardSensor, { coordinateGetter: stageByStage }),
  );

  // Every column's list, in board order, so Tab can go from a column's last card to the next column's first.
  const columns = useRef(new Map<number, ColumnHandle>());
  const register = useCallback((stageId: number, handle: ColumnHandle | null) => {
    if (handle) columns.current.set(stageId, handle);
    else columns.current.delete(stageId);
  }, []);
  const order = (board.data?.columns ?? []).filter((c) => c.kind === 'open').map((c) => c.stage_id);
  const walk: Walk = (stageId, index, step) => {
    let col = order.indexOf(stageId);
    let at = index + step;
    let handle = columns.current.get(stageId);
    // Past this column's end: the nearest column with cards, its first (Tab) or last (Shift+Tab) card.
    while (handle && (at < 0 || at >= handle.count)) {
      col += step;
      if (col < 0 || col >= order.length) return false; // out of the board: the browser's own Tab order
      handle = columns.current.get(order[col]);
      if (handle) at = step === 1 ? 0 : handle.count - 1;
    }
    if (!handle) return false;
    const target = handle;
    const drawn = target.find(at);
    if (drawn) {
      drawn.focus();
      return true;
    }
    target.scrollTo(at);
    let tries = 0;
    const focusWhenDrawn = () => {
      const el = target.find(at);
      if (el) el.focus();
      else if (++tries < 30) requestAnimationFrame(focusWhenDrawn);
    };
    requestAnimationFrame(focusWhenDrawn);
    return true;
  };

  // What a screen reader hears while a card is dragged, in the user's language.
  const stageName = (id: unknown) => board.data?.columns.find((c) => c.stage_id === id)?.name ?? '';
  const dealOf = (a: { data: { current?: Record<string, unknown> } }) => (a.data.current?.card as BoardCard | undefined)?.title ?? '';
  // The stage last announced, so the card's own column at pick-up (and the same column again) is not said twice.
  const lastOver = useRef<unknown>(null);
  const announcements: Announcements = {
    onDragStart: ({ active }) => {
      lastOver.current = active.data.current?.stageId;
      return t('layout.dnd.start', { deal: dealOf(active), stage: stageName(active.data.current?.stageId) });
    },
    onDragOver: ({ active, over }) => {
      const stage = over?.data.current?.stageId ?? null;
      if (stage === lastOver.current) return undefined;
      lastOver.current = stage;
      return over
        ? t('layout.dnd.over', { deal: dealOf(active), stage: stageName(stage) })
        : t('layout.dnd.overNone', { deal: dealOf(active) });
    },
    onDragEnd: ({ active, over }) =>
      over
        ? t('layout.dnd.end', { deal: dealOf(active), stage: stageName(over.data.current?.stageId) })
        : t('layout.dnd.endNone', { deal: dealOf(active) }),
    onDragCancel: ({ active }) => t('layout.dnd.cancel', { deal: dealOf(active), stage: stageName(active.data.current?.stageId) }),
  };

  const announce = (text: string) => {
    setToast(text);
    window.setTimeout(() => setToast(null), 3000);
  };
  const afterMove = (stageName: string) => {
    announce(t('board.movedTo', { stage: stageName }));
    qc.invalidateQueries({ queryKey: ['board'] });
    qc.invalidateQueries({ queryKey: ['funnel'] });
    qc.invalidateQueries({ queryKey: ['deal-card'] });
  };
  const move = async (card: BoardCard, stageId: number, stageName: string) => {
    try {
      await api(`/deals/${card.id}/move`, { method: 'POST', body: { stage_id: stageId, version: card.version } });
      afterMove(stageName);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'STAGE_REQUIREMENTS_MISSING') {
        setPending({ card, stageId, stageName, missing: (e.body.missing as Missing[]) ?? [] });
      } else if (e instanceof ApiError && e.fields.some((f) => f.field === 'loss_reason_id')) {
        // The workspace keeps a list of loss reasons: the dialog asks for one.
        setPending({ card, stageId, stageName, missing: [], lost: true });
      } else {
        announce(e instanceof Error ? e.message : String(e));
        qc.invalidateQueries({ queryKey: ['board'] });
      }
    }
  };
  const onDragStart = (e: DragStartEvent) => setActive((e.active.data.current?.card as BoardCard) ?? null);
  const onDragEnd = (e: DragEndEvent) => {
    setActive(null);
    const from = e.active.data.current?.stageId as number | undefined;
    const to = e.over?.data.current?.stageId as number | undefined;
    const card = e.active.data.current?.card as BoardCard | undefined;
    if (!card || to === undefined || to === from) return;
    const col = board.data?.columns.find((c) => c.stage_id === to);
    void move(card, to, col?.name ?? '');
  };

  if (board.isPending) return <Loading />;
  if (board.isError) return <ErrorState error={board.error} retry={() => board.refetch()} />;
  const b = board.data;
  const openCols = b.columns.filter((c) => c.kind === 'open');
  const totals = openCols.reduce(
    (s, c) => ({ count: s.count + c.count, amount: s.amount + c.amount_minor, weighted: s.weighted + (c.weighted_minor ?? 0) }),
    { count: 0, amount: 0, weighted: 0 },
  );
  return (
    <div className="page board-page">
      <div className="page-head">
        <div>
          <h1>{t('board.title')}</h1>
          <p className="muted">
            {b.pipeline.name} · {t('format.deals', { count: totals.count })} · {money(totals.amount, b.currency)} · {t('board.weighted')}{' '}
            {estimateMinorMoney(totals.weighted, b.currency)}
          </p>
        </div>
        <search className="filters">
          {(pipelines.data?.items.length ?? 0) > 1 && (
            <select
              value={pipelineId || String(b.pipeline.id)}
              onChange={(e) => {
                setPipelineId(e.target.value);
                navigate(`/board?pipeline_id=${e.target.value}`, { replace: true });
              }}
              aria-label={t('board.pipeline')}
            >
              {pipelines.data?.items.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          )}
          <label>
            <span className="sr-only">{t('board.search')}</span>
            <input type="search" placeholder={t('board.search')} value={q} onChange={(e) => setQ(e.target.value)} />
          </label>
          <select value={owner} onChange={(e) => setOwner(e.target.value)} aria-label={t('board.owner')}>
            <option value="">{t('board.anyOwner')}</option>
            {(users.data?.items ?? [])
              .filter((u) => u.role === 'manager')
              .map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
          </select>
        </search>
      </div>
      <DndContext
        sensors={sensors}
        onDragStart={onDragStart}
        onDragEnd={onDragEnd}
        onDragCancel={() => setActive(null)}
        accessibility={{ announcements, screenReaderInstructions: { draggable: t('layout.dnd.instructions') } }}
      >
        <div className="board" data-testid="board" lang={i18n.language} aria-busy={board.isPlaceholderData}>
          {b.columns.map((c) => (
            <Column
              key={c.stage_id}
              col={c}
              currency={b.currency}
              onOpen={(id) => navigate(`/deals/${id}`)}
              walk={walk}
              register={register}
            />
          ))}
        </div>
        <DragOverlay>
          {active ? <div className="deal-card overlay">{<CardBody card={active} currency={b.currency} />}</div> : null}
        </DragOverlay>
      </DndContext>
      {pending && (
        <MoveDialog
          me={me}
          dealId={pending.card.id}
          version={pending.card.version}
          stageId={pending.stageId}
          stageName={pending.stageName}
          missing={pending.missing}
          needsLossReason={pending.lost}
          onClose={() => setPending(null)}
          returnFocus={() => document.querySelector<HTMLElement>(`[data-testid="card-${pending.card.id}"]`)}
          onMoved={() => {
            const name = pending.stageName;
            setPending(null);
            afterMove(name);
          }}
        />
      )}
      {toast && (
        <div className="toast" role="status">
          {toast}
        </div>
      )}
    </div>
  );
}
