{#- `column` as an ORDER BY / comparison key that sorts by code point, as Python does (and
    Salesforce ids are case-sensitive: 'a' after 'Z'). PostgreSQL's default collation sorts
    by language rules, so the C collation is named there; other warehouses compare bytes. -#}
{% macro binary_order(column) -%}
    {%- if target.type == 'postgres' -%}
        {{ column }} collate "C"
    {%- else -%}
        {{ column }}
    {%- endif -%}
{%- endmacro %}
