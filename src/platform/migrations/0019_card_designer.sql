-- The card designer (issue 17): three more custom field types — multi_choice (an array of the
-- field's choice values), user (the id of a user of the workspace), link (an http(s) URL). The
-- layout itself (blocks, their order and pinning, each field's block and position) lives in the
-- existing field_blocks and custom_fields rows, so no new table.
alter table custom_fields drop constraint custom_fields_type_check;
alter table custom_fields add constraint custom_fields_type_check
  check (type in ('text', 'number', 'money', 'date', 'choice', 'multi_choice', 'user', 'link'));
