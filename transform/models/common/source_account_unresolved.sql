{#- The customer records of the sources whose CRM id names no loaded Salesforce account
    (status 'unresolved' in map_source_account): tickets, marketing or billing that reach no
    CRM customer. bizops check counts them per source (tests <source>_account_unresolved_is_empty;
    Zuora's are also zuora_account_orphan's). Records without a CRM id are not listed. A view
    (as map_source_account). -#}
{{ config(materialized='view') }}
select
    source,
    source_account_id,
    source_account_name,
    crm_id
from {{ ref('map_source_account') }}
where status = 'unresolved'
