{#- One row per live Zendesk ticket of a customer: its conformed account_id (the organization's
    external_id resolved by map_source_account; tickets of organizations that resolve to no
    loaded Salesforce account are left out, bizops check counts those organizations), the UTC
    dates that place it (created, final resolution, current rating), its first reply and full
    resolution times in calendar minutes (the sandbox's support schedule is 24/7, so business
    minutes are the same) and its current satisfaction score (good / bad, else null). -#}
with organization as (

    select source_account_id as organization_id, account_id
    from {{ ref('map_source_account') }}
    where source = 'zendesk' and status = 'resolved'

),

rating as (

    select ticket_id, score, updated_at
    from {{ ref('stg_zendesk__satisfaction_ratings') }}
    where score in ('good', 'bad')

)

select
    ticket.ticket_id,
    organization.account_id,
    ticket.status,
    cast(ticket.created_at at time zone 'UTC' as date) as created_date,
    metrics.reply_time_calendar_minutes as first_reply_minutes,
    case when metrics.solved_at is not null and metrics.full_resolution_time_calendar_minutes
        is not null then cast(metrics.solved_at at time zone 'UTC' as date) end as resolved_date,
    case when metrics.solved_at is not null then metrics.full_resolution_time_calendar_minutes
        end as full_resolution_minutes,
    rating.score as satisfaction_score,
    cast(rating.updated_at at time zone 'UTC' as date) as rated_date
from {{ ref('stg_zendesk__tickets') }} as ticket
inner join organization
    on organization.organization_id = ticket.organization_id
left join {{ ref('stg_zendesk__ticket_metrics') }} as metrics
    on metrics.ticket_id = ticket.ticket_id
left join rating
    on rating.ticket_id = ticket.ticket_id
