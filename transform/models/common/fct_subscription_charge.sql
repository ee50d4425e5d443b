{#- One row per recurring charge (segment) of a current subscription version that counts
    towards ARR (status Active or Cancelled). active_until is the exclusive end of the charge:
    the earlier of its EffectiveEndDate and the subscription's CancelledDate (a cancellation
    stamps the subscription, not its charges); null = open-ended. MRR in the account currency
    and in USD (each charge converted at fx_rate and rounded to the cent, half away from zero);
    a currency without a rate fails the model, naming the currency, instead of dropping ARR. -#}
with charge as (

    select * from {{ ref('stg_zuora__rate_plan_charge') }}
    where charge_type = 'Recurring'

),

rate_plan as (

    select * from {{ ref('stg_zuora__rate_plan') }}

),

subscription as (

    select * from {{ ref('dim_subscription') }}
    where is_counted_in_arr

),

fx as (

    select * from {{ ref('fx_rate') }}

),

joined as (

    select
        charge.*,
        subscription.subscription_id,
        subscription.billing_account_id,
        subscription.customer_id,
        subscription.currency,
        subscription.cancelled_date,
        case
            when fx.usd_rate is not null then fx.usd_rate
            -- fails the run: "invalid input syntax for type numeric: no exchange rate ..."
            else cast({{ dbt.concat(["'no exchange rate for currency '", "coalesce(subscription.currency, '(null)')", "' (var fx_to_usd)'"]) }} as {{ dbt.type_numeric() }})
        end as rate_to_usd
    from charge
    inner join rate_plan
        on rate_plan.rate_plan_id = charge.rate_plan_id
    inner join subscription
        on subscription.subscription_id = rate_plan.subscription_id
    left join fx
        on fx.currency = subscription.currency

)

select
    rate_plan_charge_id as charge_id,
    charge_number,
    segment,
    version,
    is_last_segment,
    subscription_id,
    rate_plan_id,
    product_rate_plan_charge_id as product_id,
    billing_account_id,
    customer_id,
    charge_model,
    billing_period,
    quantity,
    effective_start_date,
    effective_end_date,
    cancelled_date,
    case
        when cancelled_date is not null
            and (effective_end_date is null or cancelled_date < effective_end_date)
            then cancelled_date
        else effective_end_date
    end as active_until,
    currency,
    mrr,
    dmrc as delta_mrr,
    tcv,
    dtcv as delta_tcv,
    rate_to_usd,
    round(mrr * rate_to_usd, 2) as mrr_usd,
    12 * round(mrr * rate_to_usd, 2) as arr_usd
from joined
