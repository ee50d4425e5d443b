{#- The renewal rows of metric_values, at month, fiscal quarter and fiscal year, over the terms
    of fct_subscription_term whose end date falls in the period: renewal_rate = renewed /
    due; dollar_renewal_rate = sum(least(renewed ARR, ATR)) over renewed terms / sum(ATR);
    4 places, null with nothing due. A period is complete once its last day plus
    var('renewal_grace_days') is inside the history; until then both values and the sample
    size are null (a renewal may still come). sample_size = the number of terms due. -#}
{%- set grace = var('renewal_grace_days') | int -%}
with periods as (

    select * from {{ ref('metric_periods') }}

),

history as (

    select * from {{ ref('metric_history') }}

),

terms as (

    select * from {{ ref('fct_subscription_term') }}

),

by_period as (

    select
        periods.grain,
        periods.period_start,
        periods.period_end,
        periods.period_label,
        cast({{ dbt.dateadd('day', grace, 'periods.period_end') }} as date) <= history.last_day
            as is_complete,
        count(terms.subscription_term_id) as due,
        sum(case when terms.is_renewed then 1 else 0 end) as renewed,
        coalesce(sum(terms.atr_usd), 0) as atr,
        coalesce(sum(case
            when terms.is_renewed then least(terms.renewed_arr_usd, terms.atr_usd)
            else 0
        end), 0) as kept
    from periods
    cross join history
    left join terms
        on terms.term_end_date between periods.period_start and periods.period_end
    group by
        periods.grain, periods.period_start, periods.period_end, periods.period_label,
        history.last_day

)

select
    'renewal_rate' as metric,
    grain, period_start, period_end, period_label,
    'total' as dimension,
    'all' as member,
    case when is_complete then {{ rounded_ratio('renewed', 'due') }} end as value,
    case when is_complete then due end as sample_size
from by_period
union all
select
    'dollar_renewal_rate' as metric,
    grain, period_start, period_end, period_label,
    'total' as dimension,
    'all' as member,
    case when is_complete then {{ rounded_ratio('kept', 'atr') }} end as value,
    case when is_complete then due end as sample_size
from by_period
