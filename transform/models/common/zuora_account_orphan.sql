{#- Zuora billing accounts whose CrmId names no loaded Salesforce account (crm_status
    'unresolved' in map_zuora_account): billing that reaches no CRM customer. Their facts
    carry customer_id 'zuora:<id>'. bizops check reports every row here (test
    zuora_account_orphan_is_empty); accounts without a CrmId are not orphans. -#}
select
    map_zuora_account.zuora_account_id,
    map_zuora_account.zuora_account_number,
    map_zuora_account.zuora_account_name,
    map_zuora_account.crm_id
from {{ ref('map_zuora_account') }} as map_zuora_account
where map_zuora_account.crm_status = 'unresolved'
