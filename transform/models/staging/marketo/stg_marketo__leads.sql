-- Marketo leads, snake_case, typed; the leads Marketo reports deleted (tap-marketo's
-- deleted_leads stream) are left out. sfdc_lead_id / sfdc_contact_id link a lead to the
-- Salesforce lead or contact it mirrors. Built empty until tap-marketo has loaded the table.
{%- set raw = source('marketo', 'leads') -%}
{%- set deleted = source('marketo', 'deleted_leads') -%}

{% if raw_loaded(raw) %}

select
        cast(leads.id as text) as lead_id,
        leads.email,
        leads.sfdcleadid as sfdc_lead_id,
        leads.sfdccontactid as sfdc_contact_id,
        leads.sfdcaccountid as sfdc_account_id,
        leads.sfdctype as sfdc_type,
        leads.leadsource as lead_source,
        leads.leadstatus as lead_status,
        leads.leadscore as lead_score,
        cast(leads.createdat as timestamptz) as created_at,
        cast(leads.updatedat as timestamptz) as updated_at
from {{ raw }} as leads
{%- if raw_loaded(deleted) %}
where not exists (select 1 from {{ deleted }} as gone where gone.leadid = leads.id)
{%- endif %}

{% else %}

select
        cast(null as text) as lead_id,
        cast(null as text) as email,
        cast(null as text) as sfdc_lead_id,
        cast(null as text) as sfdc_contact_id,
        cast(null as text) as sfdc_account_id,
        cast(null as text) as sfdc_type,
        cast(null as text) as lead_source,
        cast(null as text) as lead_status,
        cast(null as bigint) as lead_score,
        cast(null as timestamptz) as created_at,
        cast(null as timestamptz) as updated_at
where false

{% endif %}
