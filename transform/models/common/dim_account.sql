{#- One row per Salesforce account: the one account_id (18-character Salesforce Account Id)
    that every source's customer maps to. Zuora billing accounts join through their CrmId
    (see map_zuora_account); the Zuora figures here summarise the accounts that resolve. -#}
with salesforce_account as (

    select * from {{ ref('stg_salesforce__account') }}

),

zuora_account as (

    select * from {{ ref('map_zuora_account') }}
    where account_id is not null

),

zuora_by_account as (

    select
        account_id,
        count(*) as zuora_account_count,
        min(zuora_account_number) as first_zuora_account_number
    from zuora_account
    group by account_id

)

select
    salesforce_account.account_id,
    salesforce_account.name as account_name,
    salesforce_account.type as account_type,
    salesforce_account.industry,
    salesforce_account.number_of_employees,
    -- the segment breakdown of the metrics: employee band (Enterprise from 1,000, Mid-Market
    -- from 100, SMB below), 'Unknown' without a count
    case
        when salesforce_account.number_of_employees >= 1000 then 'Enterprise'
        when salesforce_account.number_of_employees >= 100 then 'Mid-Market'
        when salesforce_account.number_of_employees >= 0 then 'SMB'
        else 'Unknown'
    end as segment,
    salesforce_account.billing_country,
    salesforce_account.account_source,
    salesforce_account.owner_id,
    -- a parent outside the loaded accounts (deleted, or not synced) is kept as given: the
    -- relationship test reports it instead of the value silently turning null
    salesforce_account.parent_account_id,
    coalesce(salesforce_account.parent_account_id, salesforce_account.account_id)
        as top_account_id,
    salesforce_account.customer_since,
    coalesce(zuora_by_account.zuora_account_count, 0) as zuora_account_count,
    zuora_by_account.first_zuora_account_number,
    salesforce_account.created_date
from salesforce_account
left join zuora_by_account
    on zuora_by_account.account_id = salesforce_account.account_id
