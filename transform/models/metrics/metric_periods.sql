{#- Every reporting period that overlaps the metrics' history, at the three grains: calendar
    month (label 2024-03), fiscal quarter (FY2025-Q1) and fiscal year (FY2025), the fiscal
    year starting in var('fiscal_year_start_month') and named by the year it ends in.
    period_end may lie after the history's last day (the current period). -#}
with history as (

    select * from {{ ref('metric_history') }}

),

days as (

    select dim_date.*
    from {{ ref('dim_date') }} as dim_date
    cross join history
    where dim_date.date_day between history.first_day and history.last_day

),

periods as (

    select distinct
        'month' as grain,
        month_start as period_start,
        month_end as period_end,
        {{ dbt.concat(["cast(calendar_year as varchar)", "'-'", "lpad(cast(calendar_month as varchar), 2, '0')"]) }} as period_label
    from days
    union all
    select distinct
        'quarter',
        fiscal_quarter_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, 'fiscal_quarter_start')) }} as date),
        {{ dbt.concat(["'FY'", "cast(fiscal_year as varchar)", "'-Q'", "cast(fiscal_quarter as varchar)"]) }}
    from days
    union all
    select distinct
        'fiscal-year',
        fiscal_year_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 12, 'fiscal_year_start')) }} as date),
        {{ dbt.concat(["'FY'", "cast(fiscal_year as varchar)"]) }}
    from days

)

select
    periods.grain,
    periods.period_start,
    periods.period_end,
    periods.period_label,
    -- the last day of the period inside the history (its end, or the history's last day)
    case when periods.period_end > history.last_day then history.last_day else periods.period_end end
        as history_end
from periods
cross join history
