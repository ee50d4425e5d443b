{#- Every metric value in one long table, the shape `bizops metrics`, the dashboards and the
    oracle tests read: one row per metric, grain, period and breakdown member. Each domain's
    marts give their rows in a model of these columns, listed here:
    metric (catalog name), grain (month | quarter | fiscal-year), period_start, period_end,
    period_label (2024-03 | FY2025-Q1 | FY2025), dimension ('total' or the breakdown, e.g.
    'channel'), member ('all' for the total), value (numeric; null when undefined, e.g. a
    ratio over zero), sample_size (the n behind a median, else null). -#}
{%- set domain_models = [
    'metric_values__arr',
    'metric_values__sales', 'metric_values__sales_stages', 'metric_values__marketing',
    'metric_values__funnel', 'metric_values__lead_touch',
    'metric_values__finance',
    'metric_values__efficiency',
    'metric_values__acquisition',
    'metric_values__pipeline',
    'metric_values__segment',
    'metric_values__renewal',
    'metric_values__support',
    'metric_values__attribution',
    'metric_values__mql',
] -%}

{%- for name in domain_models %}
select
    cast(metric as {{ dbt.type_string() }}) as metric,
    cast(grain as {{ dbt.type_string() }}) as grain,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    cast(period_label as {{ dbt.type_string() }}) as period_label,
    cast(dimension as {{ dbt.type_string() }}) as dimension,
    cast(member as {{ dbt.type_string() }}) as member,
    -- unconstrained numeric: dbt.type_numeric() is numeric(28,6) and would round silently
    cast(value as numeric) as value,
    cast(sample_size as {{ dbt.type_bigint() }}) as sample_size
from {{ ref(name) }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}

