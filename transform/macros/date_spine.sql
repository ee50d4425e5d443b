{#- One row per day from `start_date` (inclusive) to `end_date` (exclusive), as `date_day`:
    day offsets from a cross join of digit tables (no generate_series, so it stays portable;
    6 digits cover 2,739 years). -#}
{% macro date_spine(start_date, end_date) -%}
    with digits as (
        {%- for d in range(10) %}
        select {{ d }} as d{% if not loop.last %} union all{% endif %}
        {%- endfor %}
    ),

    offsets as (
        select d0.d + 10 * d1.d + 100 * d2.d + 1000 * d3.d + 10000 * d4.d + 100000 * d5.d as n
        from digits d0
        cross join digits d1
        cross join digits d2
        cross join digits d3
        cross join digits d4
        cross join digits d5
    )

    select cast({{ dbt.dateadd('day', 'n', "cast('" ~ start_date ~ "' as date)") }} as date) as date_day
    from offsets
    where n < {{ dbt.datediff("cast('" ~ start_date ~ "' as date)", "cast('" ~ end_date ~ "' as date)", 'day') }}
{%- endmacro %}
