-- HubSpot companies: snake_case, typed; salesforce_account_id (HubSpot's Salesforce integration
-- property) joins the other sources. The raw table is read from the var hubspot_schema (bizops
-- transform sets it to the schema of the pipeline of tap-hubspot; default hubspot); until the
-- tap has loaded it, the model is built empty, so the project builds in every warehouse.
-- Archived (deleted) companies are left out.
{%- set raw = source('hubspot', 'companies') -%}
{%- set loaded = execute and adapter.get_relation(
        database=raw.database, schema=raw.schema, identifier=raw.identifier) is not none -%}

{% if loaded %}

select
        id as company_id,
        name,
        domain,
        salesforceaccountid as salesforce_account_id,
        cast(createdat as timestamptz) as created_at,
        cast(updatedat as timestamptz) as updated_at
from {{ raw }}
where archived is not true

{% else %}

select
        cast(null as text) as company_id,
        cast(null as text) as name,
        cast(null as text) as domain,
        cast(null as text) as salesforce_account_id,
        cast(null as timestamptz) as created_at,
        cast(null as timestamptz) as updated_at
where false

{% endif %}
