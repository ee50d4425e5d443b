-- HubSpot form submissions, snake_case, typed: the submitter's email (the submitted field
-- "email") and the UTM parameters of the page the form was on (null when the URL has none).
-- Built empty until tap-hubspot has loaded the raw table.
{%- set raw = source('hubspot', 'form_submissions') -%}

{% if raw_loaded(raw) %}

select
        conversionid as conversion_id,
        cast(submittedat as timestamptz) as submitted_at,
        formguid as form_guid,
        pageurl as page_url,
        (
            select field ->> 'value'
            from jsonb_array_elements(coalesce("values", '[]'::jsonb)) as field
            where field ->> 'name' = 'email'
            limit 1
        ) as email,
        substring(pageurl from '[?&]utm_source=([^&#]*)') as utm_source,
        substring(pageurl from '[?&]utm_medium=([^&#]*)') as utm_medium,
        substring(pageurl from '[?&]utm_campaign=([^&#]*)') as utm_campaign
from {{ raw }}

{% else %}

select
        cast(null as text) as conversion_id,
        cast(null as timestamptz) as submitted_at,
        cast(null as text) as form_guid,
        cast(null as text) as page_url,
        cast(null as text) as email,
        cast(null as text) as utm_source,
        cast(null as text) as utm_medium,
        cast(null as text) as utm_campaign
where false

{% endif %}
