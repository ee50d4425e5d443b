{#- The attribution channel of a utm_medium expression: the var
    attribution_utm_medium_channels maps a medium to its channel; no medium is Direct, an
    unknown one Other (the oracle's oracle_touches.utm_channel). -#}
{% macro utm_medium_channel(medium) -%}
    case
        when {{ medium }} is null then 'Direct'
        {%- for key, channel in var('attribution_utm_medium_channels').items() %}
        when {{ medium }} = '{{ key }}' then '{{ channel }}'
        {%- endfor %}
        else 'Other'
    end
{%- endmacro %}
