-- Marketo programs, snake_case, typed; sfdc_campaign_id is the Salesforce campaign the program
-- syncs with. Built empty until tap-marketo has loaded the raw table.
{%- set raw = source('marketo', 'programs') -%}

{% if raw_loaded(raw) %}

select
        cast(id as text) as program_id,
        name,
        type as program_type,
        channel,
        status,
        sfdcid as sfdc_campaign_id,
        costs,
        cast(createdat as timestamptz) as created_at,
        cast(updatedat as timestamptz) as updated_at
from {{ raw }}

{% else %}

select
        cast(null as text) as program_id,
        cast(null as text) as name,
        cast(null as text) as program_type,
        cast(null as text) as channel,
        cast(null as text) as status,
        cast(null as text) as sfdc_campaign_id,
        cast(null as jsonb) as costs,
        cast(null as timestamptz) as created_at,
        cast(null as timestamptz) as updated_at
where false

{% endif %}
