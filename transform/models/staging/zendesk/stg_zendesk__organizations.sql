-- Zendesk organizations: snake_case, typed; external_id holds the Salesforce Account Id of the
-- customer (how the sandbox and the usual Salesforce integration fill it), so it joins
-- stg_salesforce__account. Built empty until tap-zendesk has loaded the raw table.
{% if zendesk_loaded('organizations') %}

select
        cast(id as text) as organization_id,
        name,
        nullif(trim(external_id), '') as external_id,
        details,
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at
from {{ source('zendesk', 'organizations') }}

{% else %}

select
        cast(null as text) as organization_id,
        cast(null as text) as name,
        cast(null as text) as external_id,
        cast(null as text) as details,
        cast(null as timestamptz) as created_at,
        cast(null as timestamptz) as updated_at
where false

{% endif %}
