{#- The sales segment of an account by its employee count: SMB (under 100), Mid-Market
    (100 to 1,999), Large (2,000 and more), Unknown when the count is missing. A customer with
    no live Salesforce account is in Unknown too (see metric_values__segment). The bands are
    GitLab's sales segments; the oracle (sandbox/oracle_segment.py) states them on its own. -#}
{% macro sales_segment(employees) -%}
    case
        when {{ employees }} is null then 'Unknown'
        when {{ employees }} < 100 then 'SMB'
        when {{ employees }} < 2000 then 'Mid-Market'
        else 'Large'
    end
{%- endmacro %}

{#- The segments every period is given in, so a segment without a customer shows 0. -#}
{% macro sales_segments() -%}
    {{ return(['SMB', 'Mid-Market', 'Large', 'Unknown']) }}
{%- endmacro %}
