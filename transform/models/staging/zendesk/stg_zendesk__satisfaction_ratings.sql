-- depends_on: {{ ref('stg_zendesk__tickets') }}
-- Zendesk satisfaction ratings of live tickets: snake_case, typed; score good / bad (a changed
-- rating is the same row, last version). A deleted ticket's rating stays in the raw table: the
-- join to the live tickets drops it. Built empty until tap-zendesk has loaded the raw table.
{% if zendesk_loaded('satisfaction_ratings') %}

select
        cast(ratings.id as text) as satisfaction_rating_id,
        cast(ratings.ticket_id as text) as ticket_id,
        cast(ratings.requester_id as text) as requester_id,
        ratings.score,
        ratings.comment,
        cast(ratings.created_at as timestamptz) as created_at,
        cast(ratings.updated_at as timestamptz) as updated_at
from {{ source('zendesk', 'satisfaction_ratings') }} as ratings
inner join {{ ref('stg_zendesk__tickets') }} as tickets
    on tickets.ticket_id = cast(ratings.ticket_id as text)

{% else %}

select
        cast(null as text) as satisfaction_rating_id,
        cast(null as text) as ticket_id,
        cast(null as text) as requester_id,
        cast(null as text) as score,
        cast(null as text) as comment,
        cast(null as timestamptz) as created_at,
        cast(null as timestamptz) as updated_at
where false

{% endif %}
