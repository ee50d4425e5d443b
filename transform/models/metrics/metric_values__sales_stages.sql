{#- time_in_stage: per period and stage (dimension 'stage', member = StageName), the median
    days opportunities spent in the stage, over the stays that ended in the period (by the UTC
    date the next stage was entered; fct_opportunity_stage_history); sample_size = n. Only
    stages with an ended stay in the period have a row. -#}
with periods as (

    select grain, period_start, period_end, period_label from {{ ref('metric_periods') }}

),

stay as (

    select stage_name, exited_date, days_in_stage
    from {{ ref('fct_opportunity_stage_history') }}
    where exited_at is not null

),

ranked as (

    select
        periods.grain,
        periods.period_start,
        periods.period_end,
        periods.period_label,
        stay.stage_name,
        stay.days_in_stage,
        row_number() over (
            partition by periods.grain, periods.period_label, stay.stage_name
            order by stay.days_in_stage
        ) as position,
        count(*) over (partition by periods.grain, periods.period_label, stay.stage_name) as n
    from periods
    inner join stay
        on stay.exited_date between periods.period_start and periods.period_end

)

select
    'time_in_stage' as metric,
    grain,
    period_start,
    period_end,
    period_label,
    'stage' as dimension,
    stage_name as member,
    -- the middle value, or the mean of the two middle ones when n is even
    avg(cast(days_in_stage as {{ dbt.type_numeric() }})) as value,
    max(n) as sample_size
from ranked
where position in ((n + 1) / 2, n / 2 + 1)
group by grain, period_start, period_end, period_label, stage_name
