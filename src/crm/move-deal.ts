import sql from 'sql-template-tag';
import { appendStageEntry, refreshDeals } from '../history/stage-history.ts';
import { audit } from '../platform/audit.ts';
import type { Principal } from '../platform/auth/roles.ts';
import type { AppContext } from '../platform/context.ts';
import type { Queryable, Row } from '../platform/db/types.ts';
import { AppError, type FieldIssue, fieldIssue, validationError, versionConflict } from '../platform/errors.ts';
import { WHAT } from '../platform/resource/fields.ts';
import { getRecord } from '../platform/resource/resource.ts';
import { updateChecked } from '../platform/resource/resource-routes.ts';
import { type ForcePolicy, readMovePolicy } from '../process/config-rules.ts';
import { onStageEntered, onStageLeft } from '../process/playbooks.ts';
import { isFilled, requirementsFor } from '../process/requirements.ts';
import { deals, resolveStage } from './deals.ts';

export interface MoveInput {
  stage_id: number;
  /** The version the caller read; when given and stale, the move answers 409. */
  version?: number;
  /** When the move happened; defaults to now. Never before the deal's last entry: history is not rewritten. */
  at?: string;
  reason?: string;
  /** Enter the stage although required fields are empty (whom the workspace's move policy allows; a reason unless it says not). */
  force?: boolean;
  /** Deal fields to fill in the same transaction before the move (the missing requirements, say). */
  set?: Record<string, unknown>;
  /** Why the deal was lost: one of the workspace's active loss reasons (required when it has any). */
  loss_reason_id?: number;
}

/**
 * A move the system makes on someone's behalf (a stage archived with open deals): requirements are
 * not enforced, yet an entry that skipped some is recorded as forced, so card completeness and the
 * discipline report see it as it was.
 */
export interface MoveOptions {
  administrative?: boolean;
}

/** Whether the policy lets this person force this deal past unmet requirements. */
async function mayForce(tx: Queryable, p: Principal, policy: ForcePolicy, ownerId: number | null): Promise<boolean> {
  if (policy === 'nobody') return false;
  if (p.role === 'admin' || p.role === 'head_of_sales') return true;
  if (policy !== 'team_leads' || p.role !== 'team_lead' || ownerId === null) return false;
  // A team lead, for deals of their own team (the owner is the lead or shares the lead's team).
  const [r] = await tx.query<{ ok: boolean }>(sql`
    select exists (select 1 from users o join users l on l.workspace_id = o.workspace_id and l.id = ${p.userId}
                    where o.workspace_id = ${p.workspaceId} and o.id = ${ownerId}
                      and (o.id = l.id or (l.team is not null and o.team = l.team))) as ok`);
  return r.ok;
}

const FORCE_REFUSED: Record<ForcePolicy, { en: string; ru: string }> = {
  nobody: {
    en: 'moves past unmet stage requirements are switched off in this workspace: fill in the fields',
    ru: 'в этом пространстве сделку нельзя провести без обязательных полей: заполните их',
  },
  head_of_sales: {
    en: 'only an admin or the head of sales can force a move',
    ru: 'провести сделку без обязательных полей может только администратор или РОП',
  },
  team_leads: {
    en: "only an admin, the head of sales or the deal's team lead can force a move",
    ru: 'провести сделку без обязательных полей может только администратор, РОП или руководитель группы этой сделки',
  },
};

/** A move the process refuses (422), naming the field as a validation error does. */
const moveRefused = (issue: FieldIssue) => new AppError('INVALID_MOVE', issue.message, { fields: [issue] });

/** A lost move's reason from the workspace list: required when the list has active reasons. */
async function lossReasonFor(tx: Queryable, ws: number, given: number | undefined): Promise<number | null> {
  const active = await tx.query<{ id: number }>(sql`select id from loss_reasons where workspace_id = ${ws} and active`);
  if (given === undefined) {
    if (active.length === 0) return null;
    throw moveRefused(
      fieldIssue('loss_reason_id', 'choose why the deal was lost', 'выберите причину, по которой сделка не реализована', 'required'),
    );
  }
  if (!active.some((r) => Number(r.id) === given))
    throw moveRefused(
      fieldIssue(
        'loss_reason_id',
        `no active loss reason ${given} in this workspace`,
        `в этом пространстве нет действующей причины ${given}`,
        'not_found',
      ),
    );
  return given;
}

/**
 * appendStageEntry with the chosen loss reason: the history is append-only (no UPDATE after the
 * insert), so the reason is written with the row; visits and the deal's state are refreshed alike.
 */
async function appendLostEntry(tx: Queryable, ws: number, e: Parameters<typeof appendStageEntry>[2], lossReasonId: number) {
  const [row] = await tx.query<{ id: number }>(
    sql`insert into stage_events (workspace_id, deal_id, pipeline_id, stage_id, entered_at, recorded_at, user_id, reason, source, forced,
                                  required_total, required_filled, loss_reason_id)
        values (${ws}, ${e.dealId}, ${e.pipelineId}, ${e.stageId}, ${e.enteredAt}, ${e.recordedAt}, ${e.userId}, ${e.reason ?? null},
                ${e.source}, ${e.forced ?? false}, ${e.required?.total ?? null}, ${e.required?.filled ?? null}, ${lossReasonId})
        returning id`,
  );
  await refreshDeals(tx, ws, [e.dealId], e.enteredAt);
  return row.id;
}

/** Forward: into a won stage, or into a later open stage, or reopening a lost deal. */
export function isForward(from: { kind: string; position: number }, to: { kind: string; position: number }): boolean {
  if (to.kind === 'lost') return false;
  if (to.kind === 'won') return true;
  if (from.kind === 'open') return to.position > from.position;
  return from.kind === 'lost';
}

/** Clock skew tolerated for a client-supplied `at` slightly in the future. */
const FUTURE_SKEW_MS = 60_000;

/**
 * Moves a deal to a stage: one new history entry, visits and the current-state
 * cache refreshed, version bumped — all in the caller's transaction, with the
 * deal row locked so concurrent moves serialise instead of losing one another.
 */
export async function moveDeal(
  tx: Queryable,
  ctx: AppContext,
  p: Principal,
  dealId: number,
  input: MoveInput,
  options: MoveOptions = {},
): Promise<{ deal: Row; event_id: number }> {
  const ws = p.workspaceId;
  let deal = await getRecord(tx, ws, deals, dealId, true);
  if (input.version !== undefined && input.version !== deal.version) {
    throw versionConflict(WHAT.deal, dealId, deal.version as number, input.version);
  }
  const stage = await resolveStage(tx, ws, deal.pipeline_id as number, input.stage_id);
  if (stage.archived)
    throw moveRefused(fieldIssue('stage_id', `stage "${stage.name}" is archived`, `этап «${stage.name}» в архиве`, 'archived'));
  if (input.loss_reason_id !== undefined && stage.kind !== 'lost')
    throw moveRefused(
      fieldIssue(
        'loss_reason_id',
        'a loss reason goes with a move into a lost stage',
        'причина проигрыша указывается при переходе в проигрыш',
      ),
    );
  const lossReasonId = stage.kind === 'lost' ? await lossReasonFor(tx, ws, input.loss_reason_id) : null;
  if (stage.id === deal.stage_id) {
    throw new AppError('INVALID_MOVE', {
      en: `the deal is already in stage "${stage.name}"`,
      ru: `сделка уже на этапе «${stage.name}»`,
    });
  }
  const now = ctx.clock.now();
  const last = deal.stage_entered_at as Date;
  // A move lands after the deal's last entry: at the same millisecond, the stage order
  // would decide which came first (kpi.md's rule for simultaneous entries), not the move.
  const requested = input.at ? new Date(input.at) : now;
  const at =
    requested.getTime() === last.getTime() || (!input.at && requested.getTime() < last.getTime())
      ? new Date(last.getTime() + 1)
      : requested;
  if (at.getTime() < last.getTime()) {
    throw new AppError('INVALID_MOVE', {
      en: `"at" (${at.toISOString()}) is before the deal's last stage entry (${last.toISOString()}): the history cannot be rewritten`,
      ru: `«at» (${at.toISOString()}) раньше последнего перехода сделки (${last.toISOString()}): историю нельзя переписать`,
    });
  }
  if (at.getTime() > now.getTime() + FUTURE_SKEW_MS) {
    throw new AppError('INVALID_MOVE', {
      en: '"at" is in the future',
      ru: '«at» в будущем',
    });
  }
  if (input.set && Object.keys(input.set).length > 0) {
    deal = await updateChecked(tx, ctx, p, deals, dealId, { ...input.set, version: deal.version });
  }
  const [current] = await tx.query<{ kind: string; position: number }>(
    sql`select kind, position from stages where workspace_id = ${ws} and id = ${deal.stage_id as number}`,
  );
  const forward = isForward(current, stage);
  const required = await requirementsFor(tx, ws, stage.id, (deal.segment_id as number | null) ?? null);
  const missing = required.filter((r) => !isFilled(deal, r.field));
  let forced = false;
  if (forward && missing.length > 0 && options.administrative) forced = true;
  else if (forward && missing.length > 0) {
    if (!input.force) {
      throw new AppError(
        'STAGE_REQUIREMENTS_MISSING',
        {
          en: `to enter "${stage.name}" fill in: ${missing.map((m) => m.label_en).join(', ')}`,
          ru: `чтобы перейти на этап «${stage.name}», заполните: ${missing.map((m) => m.label_ru).join(', ')}`,
        },
        {
          missing,
          fields: missing.map((m) => ({
            field: m.field,
            code: 'required_by_stage',
            message: { en: `${m.label_en}: required by the stage`, ru: `${m.label_ru}: нужно для этапа` },
          })),
        },
      );
    }
    const policy = await readMovePolicy(tx, ws);
    if (!(await mayForce(tx, p, policy.who, (deal.owner_id as number | null) ?? null)))
      throw new AppError('FORBIDDEN', FORCE_REFUSED[policy.who]);
    if (policy.needs_reason && !input.reason?.trim())
      throw validationError([
        fieldIssue('reason', 'a forced move needs a reason', 'для принудительного перехода нужна причина', 'required'),
      ]);
    forced = true;
  }
  const [previous] = await tx.query<{ id: number }>(sql`
    select e.id from stage_events e join stages s on s.workspace_id = e.workspace_id and s.id = e.stage_id
     where e.workspace_id = ${ws} and e.deal_id = ${dealId} order by e.entered_at desc, s.position desc, e.id desc limit 1`);
  const entry = {
    dealId,
    pipelineId: deal.pipeline_id as number,
    stageId: stage.id,
    enteredAt: at,
    recordedAt: now,
    userId: p.userId,
    reason: input.reason ?? null,
    source: 'api' as const,
    forced,
    required: { total: required.length, filled: required.length - missing.length },
  };
  const eventId = lossReasonId === null ? await appendStageEntry(tx, ws, entry) : await appendLostEntry(tx, ws, entry, lossReasonId);
  if (previous) await onStageLeft(tx, ctx, ws, previous.id);
  await tx.query(sql`update deals set version = version + 1, updated_at = ${now} where workspace_id = ${ws} and id = ${dealId}`);
  const moved = await getRecord(tx, ws, deals, dealId);
  if (stage.kind === 'open') await onStageEntered(tx, ctx, ws, moved, { id: eventId, stage_id: stage.id, entered_at: at });
  // The move's audit entry: the new history entry, by whom (after its playbook tasks, which the
  // notifications read from it). Every path moves through here: one move, the board, a bulk move.
  await audit(tx, { workspaceId: ws, userId: p.userId, entity: 'stage_events', entityId: eventId, action: 'create', at: now });
  return { deal: moved, event_id: eventId };
}

export interface HistoryEntry {
  id: number;
  stage_id: number;
  stage_name: string;
  stage_kind: 'open' | 'won' | 'lost';
  entered_at: string;
  left_at: string | null;
  duration_days: number | null;
  user_id: number | null;
  reason: string | null;
  source: string;
  recorded_at: string;
}

/** The deal's stage entries in history order, each with how long the visit lasted. */
export async function dealHistory(tx: Queryable, ws: number, dealId: number): Promise<HistoryEntry[]> {
  await getRecord(tx, ws, deals, dealId);
  const rows = await tx.query<Row>(sql`
    select e.id, e.stage_id, s.name as stage_name, s.kind as stage_kind, e.entered_at,
           lead(e.entered_at) over w as left_at, e.user_id, e.reason, e.source, e.recorded_at
      from stage_events e join stages s on s.workspace_id = e.workspace_id and s.id = e.stage_id
     where e.workspace_id = ${ws} and e.deal_id = ${dealId}
    window w as (order by e.entered_at, s.position, e.id)
     order by e.entered_at, s.position, e.id`);
  return rows.map((r) => {
    const entered = r.entered_at as Date;
    const left = r.left_at as Date | null;
    return {
      id: r.id as number,
      stage_id: r.stage_id as number,
      stage_name: r.stage_name as string,
      stage_kind: r.stage_kind as HistoryEntry['stage_kind'],
      entered_at: entered.toISOString(),
      left_at: left ? left.toISOString() : null,
      duration_days: left ? (left.getTime() - entered.getTime()) / 86_400_000 : null,
      user_id: (r.user_id as number | null) ?? null,
      reason: (r.reason as string | null) ?? null,
      source: r.source as string,
      recorded_at: (r.recorded_at as Date).toISOString(),
    };
  });
}
