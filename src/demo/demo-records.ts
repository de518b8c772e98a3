/** The records of the demo plan (demo-plan.ts), alone so that demo-marketing.ts can use them without a module cycle. */
export type SegmentKey = 'smb' | 'mid' | 'ent';

export interface PlanCompany {
  key: number;
  name: string;
  inn: string;
  industry: string;
  city: string;
  employees: number;
  segment: SegmentKey;
  revenueMln: number;
}
export interface PlanContact {
  key: number;
  company: number;
  name: string;
  position: string;
  email: string;
  phone: string;
  decisionMaker: boolean;
}
export interface PlanEvent {
  stage: number;
  at: Date;
  reason?: string;
  /** Fields the stage required at entry and how many were filled (card completeness). */
  required?: { total: number; filled: number };
  forced?: boolean;
}
export interface PlanDeal {
  key: number;
  atypical: { reason: string; decision: 'typical' | 'atypical' | null } | null;
  title: string;
  company: number;
  contact: number;
  manager: number;
  segment: SegmentKey;
  channel: number;
  region: string;
  amountMinor: number;
  events: PlanEvent[];
  custom: Record<string, string | number>;
}
export interface PlanActivity {
  deal: number;
  type: 'call' | 'meeting' | 'demo' | 'email' | 'proposal';
  outcome: string | null;
  at: Date;
  subject: string;
  manager: number;
}
export interface PlanTask {
  deal: number;
  /** Index of the stage entry in the deal's events. */
  event: number;
  manager: number;
  templateKey: string;
  title: string;
  type: string;
  createdAt: Date;
  dueAt: Date;
  doneAt: Date | null;
  closedAt: Date | null;
  status: 'open' | 'done' | 'skipped';
}
export interface PlanLead {
  title: string;
  company: number;
  contact: number;
  channel: number;
  manager: number;
  status: 'new' | 'working' | 'qualified' | 'disqualified' | 'converted';
  /** Drawn with the sales plan (its random stream); the database scores the lead by the ICP rules. */
  fit: number;
  createdAt: Date;
  deal: number | null;
  /** The profile fields of kpi.md ("Fit score"), from the lead's company card (demo-marketing.ts). */
  industry: string | null;
  employees: number | null;
  region: string | null;
  campaign: string | null;
  utm: { source: string; medium: string; campaign: string } | null;
  /** Index in DISQUALIFY_REASONS, for a disqualified lead. */
  reason: number | null;
  /** When it became its deal: the deal's creation. */
  convertedAt: Date | null;
}
