{#- The finance metrics in metric_values' shape, every period at every grain (definitions:
    catalog/finance.yml). Posted invoices and Processed payments and refunds only; money in
    USD as converted row by row in fct_invoice_payment and fct_refund.
    - billings: invoice amounts by invoice date;
    - collections: payments applied by payment date, less refunds by refund date;
    - dso: receivables at the period's end in the history / billings x days of the period in
      the history (receivables on day D: invoices dated <= D less payments applied <= D);
    - order_to_cash_days: median days from a subscription's order (contract effective date)
      to the first payment of its first invoice, placed by that payment's date, with n. -#}
with periods as (

    select * from {{ ref('metric_periods') }}

),

history as (

    select * from {{ ref('metric_history') }}

),

-- each posted invoice once, with the day of its first processed payment (a window, not a
-- self-join: the fresh table has no statistics, and the planner then nests loops)
invoice as (

    select invoice_id, invoice_number, invoice_date, amount_usd, subscription_id, first_paid_on
    from (
        select
            invoice_id, invoice_number, invoice_date, amount_usd, subscription_id,
            application_number,
            min(case when payment_status = 'Processed' then payment_effective_date end)
                over (partition by invoice_id) as first_paid_on
        from {{ ref('fct_invoice_payment') }}
        where invoice_status = 'Posted'
    ) as posted
    where application_number = 1

),

application as (

    select invoice_id, invoice_date, payment_effective_date, applied_amount_usd
    from {{ ref('fct_invoice_payment') }}
    where invoice_status = 'Posted' and payment_status = 'Processed'

),

-- every money movement on its day: billed and receivable up on the invoice date, applied on
-- the payment date, receivable down once both the invoice and the payment exist
ledger as (

    select invoice_date as day, amount_usd as billed, 0 as applied, 0 as refunded,
        amount_usd as receivable
    from invoice
    union all
    select payment_effective_date, 0, applied_amount_usd, 0, 0
    from application
    union all
    select
        case when payment_effective_date > invoice_date then payment_effective_date
            else invoice_date end,
        0, 0, 0, -applied_amount_usd
    from application
    union all
    select refund_date, 0, 0, amount_usd, 0
    from {{ ref('fct_refund') }}
    where status = 'Processed'

),

daily as (

    select day, sum(billed) as billed, sum(applied) as applied, sum(refunded) as refunded,
        sum(receivable) as receivable
    from ledger
    group by day

),

money as (

    select
        periods.grain,
        periods.period_start,
        periods.period_end,
        periods.period_label,
        {{ dbt.datediff(
            "case when periods.period_start > history.first_day then periods.period_start"
            ~ " else history.first_day end",
            "periods.history_end", "day") }} + 1 as days,
        coalesce(sum(case when daily.day >= periods.period_start then daily.billed end), 0)
            as billings,
        coalesce(sum(case when daily.day >= periods.period_start
            then daily.applied - daily.refunded end), 0) as collections,
        coalesce(sum(case when daily.day <= periods.history_end then daily.receivable end), 0)
            as receivables
    from periods
    cross join history
    left join daily
        on daily.day <= periods.period_end
    group by periods.grain, periods.period_start, periods.period_end, periods.period_label,
        periods.history_end, history.first_day

),

subscription_version as (

    select id as subscription_id, name, contracteffectivedate as order_date
    from {{ source('zuora', 'subscription') }}
    where _sdc_deleted_at is null

),

subscription_order as (

    select name, min(order_date) as order_date
    from subscription_version
    group by name

),

first_invoice as (

    select name, first_paid_on
    from (
        select
            subscription_version.name,
            invoice.first_paid_on,
            row_number() over (
                partition by subscription_version.name
                order by invoice.invoice_date, invoice.invoice_number
            ) as invoice_rank
        from invoice
        inner join subscription_version
            on subscription_version.subscription_id = invoice.subscription_id
    ) as ranked
    where invoice_rank = 1

),

order_to_cash as (

    select
        first_invoice.first_paid_on as paid_on,
        {{ dbt.datediff('subscription_order.order_date', 'first_invoice.first_paid_on', 'day') }}
            as days
    from first_invoice
    inner join subscription_order
        on subscription_order.name = first_invoice.name
    where first_invoice.first_paid_on is not null

),

cash_time as (

    select
        periods.grain,
        periods.period_label,
        percentile_cont(0.5) within group (order by order_to_cash.days) as median_days,
        count(order_to_cash.days) as n
    from periods
    left join order_to_cash
        on order_to_cash.paid_on between periods.period_start and periods.period_end
    group by periods.grain, periods.period_label

)

select 'billings' as metric, grain, period_start, period_end, period_label,
    'total' as dimension, 'all' as member, billings as value,
    cast(null as {{ dbt.type_bigint() }}) as sample_size
from money
union all
select 'collections', grain, period_start, period_end, period_label, 'total', 'all',
    collections, null
from money
union all
select 'dso', grain, period_start, period_end, period_label, 'total', 'all',
    case when billings = 0 then null else round(receivables * days / billings, 4) end, null
from money
union all
select 'order_to_cash_days', money.grain, money.period_start, money.period_end,
    money.period_label, 'total', 'all', cast(cash_time.median_days as {{ dbt.type_numeric() }}),
    cash_time.n
from money
inner join cash_time
    on cash_time.grain = money.grain and cash_time.period_label = money.period_label
