-- HubSpot contacts (live ones: archived left out), snake_case, typed. HubSpot dedupes
-- contacts on email; salesforce_contact_id / salesforce_lead_id are the Salesforce
-- integration's properties. Built empty until tap-hubspot has loaded the raw table.
{%- set raw = source('hubspot', 'contacts') -%}

{% if raw_loaded(raw) %}

select
        id as contact_id,
        email,
        salesforcecontactid as salesforce_contact_id,
        salesforceleadid as salesforce_lead_id,
        associatedcompanyid as company_id,
        lifecyclestage as lifecycle_stage,
        hs_lifecyclestage_lead_date as became_lead_at,
        hs_lifecyclestage_marketingqualifiedlead_date as became_mql_at,
        hs_analytics_source as original_source,
        hs_latest_source as latest_source,
        first_touch_utm_source,
        first_touch_utm_medium,
        first_touch_utm_campaign,
        cast(createdat as timestamptz) as created_at,
        cast(updatedat as timestamptz) as updated_at
from {{ raw }}
where archived is not true

{% else %}

select
        cast(null as text) as contact_id,
        cast(null as text) as email,
        cast(null as text) as salesforce_contact_id,
        cast(null as text) as salesforce_lead_id,
        cast(null as text) as company_id,
        cast(null as text) as lifecycle_stage,
        cast(null as timestamptz) as became_lead_at,
        cast(null as timestamptz) as became_mql_at,
        cast(null as text) as original_source,
        cast(null as text) as latest_source,
        cast(null as text) as first_touch_utm_source,
        cast(null as text) as first_touch_utm_medium,
        cast(null as text) as first_touch_utm_campaign,
        cast(null as timestamptz) as created_at,
        cast(null as timestamptz) as updated_at
where false

{% endif %}
