{#- True when the raw table of a source() exists in the warehouse: the staging models of the
    sources a project may not load (HubSpot, Marketo) are built empty until their tap ran, so
    the project builds in every warehouse. -#}
{% macro raw_loaded(relation) -%}
    {{- return(execute and adapter.get_relation(
        database=relation.database, schema=relation.schema,
        identifier=relation.identifier) is not none) -}}
{%- endmacro %}
