{#- One row per Zuora invoice and payment applied to it (InvoicePayment); an invoice with no
    payment applied has one row with null payment columns. customer_id is the conformed
    account id of map_zuora_account: the billing account's CrmId in its 18-character form,
    else 'zuora:' || the Zuora account id. Money in the account's
    currency and in USD (fx_rate; each amount converted then rounded to the cent, half away
    from zero). application_number numbers an invoice's rows by payment date (1 = the first
    payment, or the invoice's only row), so invoice amounts are summed where it is 1. -#}
with invoice as (

    select * from {{ ref('stg_zuora__invoice') }}

),

-- the subscription an invoice bills (the lowest id when its items name several versions)
invoice_subscription as (

    select invoice_id, min(subscription_id) as subscription_id
    from {{ ref('stg_zuora__invoice_item') }}
    group by invoice_id

),

account as (

    select
        map_zuora_account.zuora_account_id,
        map_zuora_account.customer_id,
        stg_zuora__account.currency,
        fx_rate.usd_rate
    from {{ ref('map_zuora_account') }} as map_zuora_account
    inner join {{ ref('stg_zuora__account') }} as stg_zuora__account
        on stg_zuora__account.account_id = map_zuora_account.zuora_account_id
    left join {{ ref('fx_rate') }} as fx_rate
        on fx_rate.currency = stg_zuora__account.currency

),

application as (

    select
        invoice_payment.invoice_payment_id,
        invoice_payment.invoice_id,
        invoice_payment.amount as applied_amount,
        invoice_payment.refund_amount,
        invoice_payment.payment_id,
        payment.payment_number,
        payment.status as payment_status,
        payment.effective_date as payment_effective_date
    from {{ ref('stg_zuora__invoice_payment') }} as invoice_payment
    left join {{ ref('stg_zuora__payment') }} as payment
        on payment.payment_id = invoice_payment.payment_id

)

select
    {{ dbt.concat(["invoice.invoice_id", "'-'", "coalesce(application.invoice_payment_id, 'none')"]) }}
        as invoice_payment_key,
    invoice.invoice_id,
    invoice.invoice_number,
    invoice.account_id as zuora_account_id,
    coalesce(account.customer_id, {{ dbt.concat(["'zuora:'", "invoice.account_id"]) }}) as customer_id,
    invoice_subscription.subscription_id,
    invoice.status as invoice_status,
    invoice.invoice_date,
    invoice.due_date,
    invoice.posted_date as posted_at,
    account.currency,
    invoice.amount,
    round(invoice.amount * account.usd_rate, 2) as amount_usd,
    invoice.balance,
    round(invoice.balance * account.usd_rate, 2) as balance_usd,
    row_number() over (
        partition by invoice.invoice_id
        order by application.payment_effective_date, application.payment_number
    ) as application_number,
    application.invoice_payment_id,
    application.payment_id,
    application.payment_number,
    application.payment_status,
    application.payment_effective_date,
    application.applied_amount,
    round(application.applied_amount * account.usd_rate, 2) as applied_amount_usd,
    application.refund_amount,
    round(application.refund_amount * account.usd_rate, 2) as refund_amount_usd,
    case
        when application.payment_effective_date is null then null
        else application.payment_effective_date > invoice.due_date
    end as is_paid_late
from invoice
left join account
    on account.zuora_account_id = invoice.account_id
left join invoice_subscription
    on invoice_subscription.invoice_id = invoice.invoice_id
left join application
    on application.invoice_id = invoice.invoice_id
