{#- Layer schemas are named as configured (`staging`, `common`), prefixed by the target's
    schema only when that is not the default `public`: so a user sees `common.dim_account`,
    and tests can isolate a run in `<prefix>_common`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.schema == 'public' -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
