-- Marketo activity types (id, name). Built empty until tap-marketo has loaded the raw table.
{%- set raw = source('marketo', 'activity_types') -%}

{% if raw_loaded(raw) %}

select
        id as activity_type_id,
        name,
        description
from {{ raw }}

{% else %}

select
        cast(null as bigint) as activity_type_id,
        cast(null as text) as name,
        cast(null as text) as description
where false

{% endif %}
