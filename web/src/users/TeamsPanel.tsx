import { useTranslation } from 'react-i18next';
import type { Answer } from '../api';

type User = Answer<'/api/v1/users', 'get'>['items'][number];

/**
 * The teams as the access table sees them (src/platform/auth/access.ts): a team is the `team` of
 * its people, its lead an active person with the role team lead and the same team, who then sees
 * the team's records. Said plainly where that leaves a gap: a team without a lead, a lead
 * without a team (who sees only their own).
 */
export function TeamsPanel({ people }: { people: User[] }) {
  const { t } = useTranslation();
  const active = people.filter((p) => p.active);
  const teams = [...new Set(active.map((p) => p.team).filter((x): x is string => !!x))].sort((a, b) => a.localeCompare(b));
  const loneLeads = active.filter((p) => p.role === 'team_lead' && !p.team);
  return (
    <section className="panel teams-panel" aria-labelledby="teams-title" data-testid="teams">
      <h2 id="teams-title">{t('users.teams.title')}</h2>
      <p className="muted">{t('users.teams.intro')}</p>
      {teams.length === 0 ? (
        <p className="muted">{t('users.teams.none')}</p>
      ) : (
        <ul className="teams-list">
          {teams.map((team) => {
            const members = active.filter((p) => p.team === team);
            const leads = members.filter((p) => p.role === 'team_lead');
            return (
              <li key={team}>
                <strong>{team}</strong>
                <span className="muted">{t('users.count', { count: members.length })}</span>
                {leads.length > 0 ? (
                  <span>{t('users.teams.lead', { names: leads.map((p) => p.name).join(', ') })}</span>
                ) : (
                  <span className="teams-warn">{t('users.teams.noLead')}</span>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {loneLeads.map((p) => (
        <p key={p.id} className="teams-warn">
          {t('users.teams.leadWithoutTeam', { name: p.name })}
        </p>
      ))}
    </section>
  );
}
