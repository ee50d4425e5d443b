{#- One row: the days the metrics cover. From the earliest recurring-charge start, opportunity
    or lead creation (UTC date) or campaign start, to the UTC day of the last instant before the
    clock: var('metrics_as_of') (an ISO timestamp; default the time of the run), so a
    report can be computed "as of" a past moment and a sandbox world at its own clock. -#}
{%- set as_of = var('metrics_as_of', none) -%}
with starts as (

    select min(effectivestartdate) as day
    from {{ source('zuora', 'rateplancharge') }}
    where _sdc_deleted_at is null
    union all
    select min(cast(created_date at time zone 'UTC' as date)) from {{ ref('stg_salesforce__opportunity') }}
    union all
    select min(cast(created_date at time zone 'UTC' as date)) from {{ ref('stg_salesforce__lead') }}
    union all
    select min(start_date) from {{ ref('stg_salesforce__campaign') }}

),

clock as (

    select
        {%- if as_of %}
        cast('{{ as_of }}' as timestamp with time zone) as as_of
        {%- else %}
        {{ dbt.current_timestamp() }} as as_of
        {%- endif %}

)

select
    clock.as_of,
    cast((clock.as_of - interval '1 second') at time zone 'UTC' as date) as last_day,
    coalesce(
        (select min(day) from starts),
        cast((clock.as_of - interval '1 second') at time zone 'UTC' as date)
    ) as first_day
from clock
