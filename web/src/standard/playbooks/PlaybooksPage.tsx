import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Me } from '../../api';
import { ErrorState, Loading } from '../../components';
import { usePipelines, useUsers } from '../../lookups';
import { useDealFields, useSegments } from './data';
import { Preview } from './Preview';
import { Requirements } from './Requirements';
import { Segments } from './Segments';
import { Templates } from './Templates';
import './playbooks.css';

/**
 * The "requirements and tasks" tab of the standard (issue 17): for a stage of a pipeline, the fields
 * it requires and its playbook tasks, each edited in a form, and a preview of what a deal of a
 * segment entering it on a day gets; the segments themselves beside. Read-only unless `editable`.
 */
export default function PlaybooksPage({ me, editable }: { me: Me; editable: boolean }) {
  const { t } = useTranslation();
  const pipelines = usePipelines();
  const segments = useSegments();
  const fields = useDealFields();
  const users = useUsers();
  const [pipelineId, setPipelineId] = useState<number | null>(null);
  const [stageId, setStageId] = useState<number | null>(null);
  const [note, setNote] = useState<string | null>(null);
  if (pipelines.isPending || segments.isPending || fields.isPending) return <Loading />;
  const failed = [pipelines, segments, fields].find((q) => q.isError);
  if (failed) return <ErrorState error={failed.error} retry={() => failed.refetch()} />;
  const list = (pipelines.data?.items ?? []).filter((p) => !p.archived);
  if (list.length === 0) return <p className="empty">{t('playbooks.noPipelines')}</p>;
  const pipeline = list.find((p) => p.id === pipelineId) ?? list[0];
  const stages = pipeline.stages.filter((s) => !s.archived);
  const stage = stages.find((s) => s.id === stageId) ?? stages.find((s) => s.kind === 'open') ?? stages[0];
  const segs = segments.data?.items ?? [];
  const people = (users.data?.items ?? []).filter((u) => u.active);
  return (
    <div className="pb" data-testid="playbooks-page">
      <p className="muted pb-intro">{t('playbooks.intro')}</p>
      <div className="pb-pickers">
        <div className="field">
          <label htmlFor="pb-pipeline">{t('playbooks.pipeline')}</label>
          <select
            id="pb-pipeline"
            value={pipeline.id}
            onChange={(e) => {
              setPipelineId(Number(e.target.value));
              setStageId(null);
            }}
          >
            {list.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="pb-stage">{t('playbooks.stage')}</label>
          <select id="pb-stage" value={stage?.id ?? ''} onChange={(e) => setStageId(Number(e.target.value))}>
            {stages.map((s) => (
              <option key={s.id} value={s.id}>
                {s.kind === 'open' ? s.name : `${s.name} (${t(`playbooks.stageKind.${s.kind}`)})`}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="pb-note" aria-live="polite">
        {note && <p className="notice">{note}</p>}
      </div>
      {stage && (
        <div className="pb-grid">
          <div className="pb-main">
            {stage.kind === 'lost' ? (
              <p className="panel pb-section muted">{t('playbooks.lostStage')}</p>
            ) : (
              <Requirements
                key={`r${stage.id}`}
                stageId={stage.id}
                fields={fields.data?.items ?? []}
                segments={segs}
                editable={editable}
                say={setNote}
              />
            )}
            {stage.kind === 'open' ? (
              <Templates
                key={`t${stage.id}`}
                stageId={stage.id}
                stageName={stage.name}
                segments={segs}
                users={people}
                editable={editable}
                say={setNote}
              />
            ) : (
              stage.kind === 'won' && <p className="panel pb-section muted">{t('playbooks.closedStage')}</p>
            )}
          </div>
          <div className="pb-side">
            {stage.kind !== 'lost' && <Preview key={`p${stage.id}`} stageId={stage.id} segments={segs} zone={me.workspace.timezone} />}
            <Segments segments={segs} editable={editable} say={setNote} />
          </div>
        </div>
      )}
    </div>
  );
}
