-- Marketo activities (bulk extract), snake_case, typed; activity_type_id joins
-- stg_marketo__activity_types. Built empty until tap-marketo has loaded the raw table.
{%- set raw = source('marketo', 'activities') -%}

{% if raw_loaded(raw) %}

select
        marketoguid as activity_id,
        cast(leadid as text) as lead_id,
        cast(activitydate as timestamptz) as activity_at,
        activitytypeid as activity_type_id,
        campaignid as campaign_id,
        primaryattributevalueid as primary_attribute_value_id,
        primaryattributevalue as primary_attribute_value,
        attributes
from {{ raw }}

{% else %}

select
        cast(null as text) as activity_id,
        cast(null as text) as lead_id,
        cast(null as timestamptz) as activity_at,
        cast(null as bigint) as activity_type_id,
        cast(null as bigint) as campaign_id,
        cast(null as bigint) as primary_attribute_value_id,
        cast(null as text) as primary_attribute_value,
        cast(null as jsonb) as attributes
where false

{% endif %}
