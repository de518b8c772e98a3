export const ROLES = ['admin', 'head_of_sales', 'team_lead', 'manager', 'marketer', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: resolved once per request from the session cookie or API token. */
export interface Principal {
  workspaceId: number;
  userId: number;
  role: Role;
  name: string;
  locale: 'ru' | 'en' | null;
  via: 'session' | 'token';
  /** The session or token row id (logout revokes it). */
  credentialId: number;
  /** What the credential may do: a read-only token cannot write. */
  scopes?: string[];
}
