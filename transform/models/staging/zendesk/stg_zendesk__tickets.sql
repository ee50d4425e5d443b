-- Zendesk tickets, live ones: snake_case, typed. tap-zendesk delivers a deleted ticket as its
-- last version with status 'deleted' (the incremental export's soft delete); such tickets are
-- left out here, as soft-deleted rows are in the other sources' staging. Built empty until
-- tap-zendesk has loaded the raw table.
{% if zendesk_loaded('tickets') %}

select
        cast(id as text) as ticket_id,
        cast(organization_id as text) as organization_id,
        cast(requester_id as text) as requester_id,
        cast(assignee_id as text) as assignee_id,
        status,
        type as ticket_type,
        priority,
        via ->> 'channel' as channel,
        subject,
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at
from {{ source('zendesk', 'tickets') }}
where status is distinct from 'deleted'

{% else %}

select
        cast(null as text) as ticket_id,
        cast(null as text) as organization_id,
        cast(null as text) as requester_id,
        cast(null as text) as assignee_id,
        cast(null as text) as status,
        cast(null as text) as ticket_type,
        cast(null as text) as priority,
        cast(null as text) as channel,
        cast(null as text) as subject,
        cast(null as timestamptz) as created_at,
        cast(null as timestamptz) as updated_at
where false

{% endif %}
