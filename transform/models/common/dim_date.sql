{#- One row per calendar day, with calendar and fiscal periods. The fiscal year starts on day 1
    of var('fiscal_year_start_month') and is named by the calendar year in which it ends. -#}
{%- set start_month = var('fiscal_year_start_month') | int -%}
{%- if start_month < 1 or start_month > 12 -%}
    {{ exceptions.raise_compiler_error("var fiscal_year_start_month must be 1..12, got " ~ start_month) }}
{%- endif -%}

with days as (

    {{ date_spine(var('dim_date_start'), var('dim_date_end')) }}

),

parts as (

    select
        date_day,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start,
        cast(extract(year from date_day) as integer) as calendar_year,
        cast(extract(month from date_day) as integer) as calendar_month,
        cast(extract(quarter from date_day) as integer) as calendar_quarter,
        cast(extract(day from date_day) as integer) as day_of_month,
        -- months since the start of the fiscal year, 0..11
        mod(cast(extract(month from date_day) as integer) + 12 - {{ start_month }}, 12) as fiscal_month_index
    from days

)

select
    date_day,
    calendar_year,
    calendar_quarter,
    calendar_month,
    day_of_month,
    month_start,
    cast({{ dbt.last_day('date_day', 'month') }} as date) as month_end,
    quarter_start,
    year_start,
    calendar_year
        {%- if start_month > 1 %} + case when calendar_month >= {{ start_month }} then 1 else 0 end{% endif %}
        as fiscal_year,
    cast(fiscal_month_index / 3 as integer) + 1 as fiscal_quarter,
    fiscal_month_index + 1 as fiscal_month,
    cast({{ dbt.dateadd('month', '-fiscal_month_index', 'month_start') }} as date) as fiscal_year_start,
    cast({{ dbt.dateadd('month', '-mod(fiscal_month_index, 3)', 'month_start') }} as date) as fiscal_quarter_start
from parts
