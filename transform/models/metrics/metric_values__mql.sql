{#- Program spend, MQLs and cost per MQL of every period:
    - program_spend: Marketo program period costs (stg_marketo__program_costs) by their start
      date; total, and per channel (the program channel mapped by the var
      attribution_program_channels; unmapped: the program channel) where it has cost rows;
    - mql: persons by the UTC date of their first MQL, the earliest
      hs_lifecyclestage_marketingqualifiedlead_date of the live HubSpot contacts resolved to
      them (map_person_source); total only;
    - cost_per_mql: program_spend / mql (4 decimals; null without MQLs); total only. -#}
with periods as (

    select grain, period_start, period_end, period_label from {{ ref('metric_periods') }}

),

spend as (

    select
        cost_start_date as spend_date,
        case channel
        {%- for key, channel in var('attribution_program_channels').items() %}
            when '{{ key }}' then '{{ channel }}'
        {%- endfor %}
            else coalesce(channel, '(none)')
        end as channel,
        cost_usd
    from {{ ref('stg_marketo__program_costs') }}

),

first_mql as (

    select map.person_id, cast(min(contact.became_mql_at) at time zone 'UTC' as date) as mql_date
    from {{ ref('stg_hubspot__contacts') }} as contact
    inner join {{ ref('map_person_source') }} as map
        on map.source = 'hubspot'
        and map.source_person_id = contact.contact_id
    where map.person_id is not null
        and contact.became_mql_at is not null
    group by map.person_id

),

totals as (

    select
        periods.*,
        (select coalesce(sum(cost_usd), 0) from spend
         where spend_date between periods.period_start and periods.period_end) as program_spend,
        (select count(*) from first_mql
         where mql_date between periods.period_start and periods.period_end) as mqls
    from periods

),

channels as (

    select
        periods.grain, periods.period_start, periods.period_end, periods.period_label,
        spend.channel,
        sum(spend.cost_usd) as program_spend
    from periods
    inner join spend
        on spend.spend_date between periods.period_start and periods.period_end
    group by periods.grain, periods.period_start, periods.period_end, periods.period_label,
        spend.channel

)

select
    'program_spend' as metric, grain, period_start, period_end, period_label,
    'total' as dimension, 'all' as member, cast(program_spend as numeric) as value,
    cast(null as {{ dbt.type_bigint() }}) as sample_size
from totals
union all
select
    'program_spend', grain, period_start, period_end, period_label,
    'channel', channel, cast(program_spend as numeric), null
from channels
union all
select
    'mql', grain, period_start, period_end, period_label,
    'total', 'all', cast(mqls as numeric), null
from totals
union all
select
    'cost_per_mql', grain, period_start, period_end, period_label,
    'total', 'all', round(program_spend / nullif(mqls, 0), 4), null
from totals
