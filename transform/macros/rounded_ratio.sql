{#- numerator / denominator rounded to `places` decimals, half away from zero (as the oracle's
    Ratio.value()); null when the denominator is 0 (the metric is undefined there, not 0). -#}
{% macro rounded_ratio(numerator, denominator, places=4) -%}
    round(
        cast({{ numerator }} as {{ dbt.type_numeric() }})
        / nullif(cast({{ denominator }} as {{ dbt.type_numeric() }}), 0),
        {{ places }}
    )
{%- endmacro %}
