{#- converted_leads: the live leads converted in the period (by ConvertedDate), in total and per
    channel of each lead's last touch: its latest live campaign member (fct_touch, by touch
    time, then id in code-point order) on or before the conversion date. A lead without such
    a touch, or whose campaign is deleted, counts in the total only; a channel has a row in a
    period only when it converted a lead there. -#}
with periods as (

    select grain, period_start, period_end, period_label from {{ ref('metric_periods') }}

),

converted as (

    select lead_id, converted_date
    from {{ ref('stg_salesforce__lead') }}
    where is_converted and converted_date is not null

),

ranked as (

    select
        converted.lead_id,
        fct_touch.channel,
        row_number() over (
            partition by converted.lead_id
            order by fct_touch.touch_at desc, {{ binary_order('fct_touch.touch_id') }} desc
        ) as position
    from converted
    inner join {{ ref('fct_touch') }} as fct_touch
        on fct_touch.lead_id = converted.lead_id
        and fct_touch.touch_date <= converted.converted_date

),

lead as (

    select converted.lead_id, converted.converted_date, ranked.channel
    from converted
    left join ranked
        on ranked.lead_id = converted.lead_id
        and ranked.position = 1

),

totals as (

    select
        periods.grain,
        periods.period_start,
        periods.period_end,
        periods.period_label,
        'total' as dimension,
        'all' as member,
        count(lead.lead_id) as converted_leads
    from periods
    left join lead
        on lead.converted_date between periods.period_start and periods.period_end
    group by periods.grain, periods.period_start, periods.period_end, periods.period_label

),

channels as (

    select
        periods.grain,
        periods.period_start,
        periods.period_end,
        periods.period_label,
        'channel' as dimension,
        lead.channel as member,
        count(*) as converted_leads
    from periods
    inner join lead
        on lead.converted_date between periods.period_start and periods.period_end
        and lead.channel is not null
    group by
        periods.grain, periods.period_start, periods.period_end, periods.period_label,
        lead.channel

),

measures as (

    select * from totals
    union all
    select * from channels

)

select
    'converted_leads' as metric,
    grain,
    period_start,
    period_end,
    period_label,
    dimension,
    member,
    cast(converted_leads as {{ dbt.type_numeric() }}) as value,
    cast(null as {{ dbt.type_bigint() }}) as sample_size
from measures
