-- Zendesk accounts (made by bizops new-tap): snake_case, typed. The raw table is read from
-- the var zendesk_schema (bizops transform sets it to the schema of the pipeline of
-- tap-zendesk; default zendesk); until the tap has loaded it, the model is built empty, so
-- the project builds in every warehouse.
{%- set raw = source('zendesk', 'accounts') -%}
{%- set loaded = execute and adapter.get_relation(
        database=raw.database, schema=raw.schema, identifier=raw.identifier) is not none -%}

{% if loaded %}

select
        id as account_id,
        name,
        salesforce_account_id,
        created_at,
        updated_at
from {{ raw }}

{% else %}

select
        cast(null as text) as account_id,
        cast(null as text) as name,
        cast(null as text) as salesforce_account_id,
        cast(null as timestamptz) as created_at,
        cast(null as timestamptz) as updated_at
where false

{% endif %}
