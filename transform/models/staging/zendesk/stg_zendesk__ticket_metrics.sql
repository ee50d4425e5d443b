-- depends_on: {{ ref('stg_zendesk__tickets') }}
-- Zendesk ticket metrics of live tickets: snake_case, typed, the minute counts taken out of
-- their {calendar, business} objects. A deleted ticket's metric set stays in the raw table
-- (the export stops sending it, nothing removes it): the join to the live tickets drops it.
-- Built empty until tap-zendesk has loaded the raw table.
{% if zendesk_loaded('ticket_metrics') %}

select
        cast(metrics.id as text) as ticket_metric_id,
        cast(metrics.ticket_id as text) as ticket_id,
        metrics.replies,
        metrics.reopens,
        cast(metrics.solved_at as timestamptz) as solved_at,
        cast(metrics.reply_time_in_minutes ->> 'calendar' as bigint)
            as reply_time_calendar_minutes,
        cast(metrics.reply_time_in_minutes ->> 'business' as bigint)
            as reply_time_business_minutes,
        cast(metrics.first_resolution_time_in_minutes ->> 'calendar' as bigint)
            as first_resolution_time_calendar_minutes,
        cast(metrics.full_resolution_time_in_minutes ->> 'calendar' as bigint)
            as full_resolution_time_calendar_minutes,
        cast(metrics.full_resolution_time_in_minutes ->> 'business' as bigint)
            as full_resolution_time_business_minutes,
        cast(metrics.created_at as timestamptz) as created_at,
        cast(metrics.updated_at as timestamptz) as updated_at
from {{ source('zendesk', 'ticket_metrics') }} as metrics
inner join {{ ref('stg_zendesk__tickets') }} as tickets
    on tickets.ticket_id = cast(metrics.ticket_id as text)

{% else %}

select
        cast(null as text) as ticket_metric_id,
        cast(null as text) as ticket_id,
        cast(null as bigint) as replies,
        cast(null as bigint) as reopens,
        cast(null as timestamptz) as solved_at,
        cast(null as bigint) as reply_time_calendar_minutes,
        cast(null as bigint) as reply_time_business_minutes,
        cast(null as bigint) as first_resolution_time_calendar_minutes,
        cast(null as bigint) as full_resolution_time_calendar_minutes,
        cast(null as bigint) as full_resolution_time_business_minutes,
        cast(null as timestamptz) as created_at,
        cast(null as timestamptz) as updated_at
where false

{% endif %}
