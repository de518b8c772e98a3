-- The owner of a company's account is the owner of its latest-starting contract (kpi.md, by=owner):
-- read in this order by the accounts report, without sorting every contract.
create index contracts_latest_idx on contracts (workspace_id, company_id, start_date desc, id desc);
