{#- A stable key from several columns: the md5 of their text values joined by '-', null as
    a marker that no real value takes (the dbt-utils generate_surrogate_key contract; the
    dbt hub is unreachable, so it lives here). -#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '_bizops_null_')") -%}
        {%- if not loop.last %}{% do parts.append("'-'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
