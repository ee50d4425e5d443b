{#- Whether tap-zendesk has loaded the raw table ``name`` (schema: the var zendesk_schema).
    The Zendesk staging models are built empty without it, so the project builds in every
    warehouse, Zendesk loaded or not. -#}
{% macro zendesk_loaded(name) %}
    {%- set raw = source('zendesk', name) -%}
    {{- return(execute and adapter.get_relation(
        database=raw.database, schema=raw.schema, identifier=raw.identifier) is not none) -}}
{% endmacro %}
