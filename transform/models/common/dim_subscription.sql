{#- One row per Zuora subscription in its current (latest) version, with the conformed
    customer: customer_id is the 18-character Salesforce Account Id of the billing account's
    CrmId, else 'zuora:' || the Zuora account id (an account without a CrmId is still a
    customer). Only versions with status Active or Cancelled count towards ARR (Draft is not
    contracted; Expired marks a superseded version). -#}
with subscription as (

    select * from {{ ref('stg_zuora__subscription') }}

),

billing_account as (

    select * from {{ ref('stg_zuora__account') }}

)

select
    subscription.subscription_id,
    subscription.name as subscription_name,
    subscription.account_id as billing_account_id,
    coalesce(
        billing_account.crm_account_id,
        {{ dbt.concat(["'zuora:'", "subscription.account_id"]) }}
    ) as customer_id,
    billing_account.currency,
    subscription.status,
    subscription.status in ('Active', 'Cancelled') as is_counted_in_arr,
    subscription.version,
    subscription.original_id,
    subscription.previous_subscription_id,
    subscription.term_type,
    subscription.initial_term,
    subscription.renewal_term,
    subscription.auto_renew,
    subscription.contract_effective_date,
    subscription.subscription_start_date,
    subscription.subscription_end_date,
    subscription.term_start_date,
    subscription.term_end_date,
    subscription.cancelled_date,
    subscription.created_date
from subscription
left join billing_account
    on billing_account.account_id = subscription.account_id
