{#- Every live Zuora billing account with the account_id (Salesforce Account Id, 18
    characters) its CrmId names; account_id is null when it has no CrmId or names no loaded
    Salesforce account (crm_status says which). -#}
with zuora_account as (

    select * from {{ ref('stg_zuora__account') }}

),

salesforce_account as (

    select account_id from {{ ref('stg_salesforce__account') }}

)

select
    zuora_account.account_id as zuora_account_id,
    zuora_account.account_number as zuora_account_number,
    zuora_account.name as zuora_account_name,
    zuora_account.crm_id,
    salesforce_account.account_id,
    -- the conformed customer id every Zuora fact carries: the CrmId (18-character form) even
    -- when it names no loaded Salesforce account (zuora_account_orphan lists those), else
    -- 'zuora:' and the billing account's id
    coalesce(
        zuora_account.crm_account_id,
        {{ dbt.concat(["'zuora:'", "zuora_account.account_id"]) }}
    ) as customer_id,
    case
        when zuora_account.crm_id is null then 'no_crm_id'
        when salesforce_account.account_id is null then 'unresolved'
        else 'resolved'
    end as crm_status
from zuora_account
left join salesforce_account
    on salesforce_account.account_id = zuora_account.crm_account_id
