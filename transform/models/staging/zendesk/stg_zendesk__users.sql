-- Zendesk users (agents and end users): snake_case, typed; end users carry the Salesforce
-- Contact Id as external_id. Built empty until tap-zendesk has loaded the raw table.
{% if zendesk_loaded('users') %}

select
        cast(id as text) as user_id,
        name,
        email,
        role,
        cast(organization_id as text) as organization_id,
        nullif(trim(external_id), '') as external_id,
        active as is_active,
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at
from {{ source('zendesk', 'users') }}

{% else %}

select
        cast(null as text) as user_id,
        cast(null as text) as name,
        cast(null as text) as email,
        cast(null as text) as role,
        cast(null as text) as organization_id,
        cast(null as text) as external_id,
        cast(null as boolean) as is_active,
        cast(null as timestamptz) as created_at,
        cast(null as timestamptz) as updated_at
where false

{% endif %}
