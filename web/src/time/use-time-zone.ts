import { useQuery } from '@tanstack/react-query';
import { api, type Me, type Prefs } from '../api';

/**
 * Whose clock the screens keep: the person's own zone (Settings) if set, else the workspace's —
 * the same rule as the server's (src/platform/time-zone.ts).
 */
export function effectiveZone(me: Me, prefs: Pick<Prefs, 'time_zone'> | undefined | null): string {
  return prefs?.time_zone || me.workspace.timezone;
}

/** The zone for this person, from the preferences the shell has already loaded. */
export function useTimeZone(me: Me): string {
  const prefs = useQuery({ queryKey: ['prefs'], queryFn: () => api<Prefs>('/me/preferences'), staleTime: Number.POSITIVE_INFINITY });
  return effectiveZone(me, prefs.data);
}
