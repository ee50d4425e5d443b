{#- One row per Zuora refund (cash returned to a customer), in its account's currency and in
    USD (fx_rate, rounded to the cent half away from zero); customer_id as in
    fct_invoice_payment. The world's refunds name their account, not the payment refunded. -#}
with refund as (

    select * from {{ ref('stg_zuora__refund') }}

)

select
    refund.refund_id,
    refund.refund_number,
    refund.account_id as zuora_account_id,
    coalesce(
        map_zuora_account.customer_id, {{ dbt.concat(["'zuora:'", "refund.account_id"]) }}
    ) as customer_id,
    refund.status,
    refund.refund_date,
    stg_zuora__account.currency,
    refund.amount,
    round(refund.amount * fx_rate.usd_rate, 2) as amount_usd
from refund
left join {{ ref('map_zuora_account') }} as map_zuora_account
    on map_zuora_account.zuora_account_id = refund.account_id
left join {{ ref('stg_zuora__account') }} as stg_zuora__account
    on stg_zuora__account.account_id = refund.account_id
left join {{ ref('fx_rate') }} as fx_rate
    on fx_rate.currency = stg_zuora__account.currency
