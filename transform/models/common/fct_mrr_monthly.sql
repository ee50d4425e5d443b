{#- One row per conformed customer and month end: the customer's MRR and ARR (sum of its
    charges active on the month's last day: effective_start_date <= day < active_until, i.e.
    GitLab's start_month <= m < end_month), its ARR at the previous month end and the change
    type. Months run from the first charge's month to the last month of the metrics' history
    (metric_history: var metrics_as_of). A row exists for every month a customer has ARR > 0,
    plus a churn row (ARR 0) for the month after its last such month of a run:
    new = first month with ARR > 0 ever; reactivation = ARR > 0 again after a churn;
    expansion / contraction = ARR up / down between two months with ARR > 0; churn = ARR 0
    after a month with ARR > 0; no impact = unchanged. -#}
with charge as (

    select * from {{ ref('fct_subscription_charge') }}
    where mrr_usd <> 0

),

history as (

    select * from {{ ref('metric_history') }}

),

month_ends as (

    select distinct dim_date.month_start, dim_date.month_end
    from {{ ref('dim_date') }} as dim_date
    cross join history
    where dim_date.date_day >= (select min(effective_start_date) from charge)
        and dim_date.date_day <= history.last_day

),

customer_month as (

    select
        charge.customer_id,
        month_ends.month_start,
        month_ends.month_end,
        sum(charge.mrr_usd) as mrr_usd,
        count(*) as charge_count
    from charge
    inner join month_ends
        on charge.effective_start_date <= month_ends.month_end
        and (charge.active_until is null or month_ends.month_end < charge.active_until)
    group by charge.customer_id, month_ends.month_start, month_ends.month_end
    having sum(charge.mrr_usd) > 0

),

sequenced as (

    select
        customer_month.*,
        lag(month_start) over (partition by customer_id order by month_start) as previous_month,
        lag(mrr_usd) over (partition by customer_id order by month_start) as previous_mrr,
        lead(month_start) over (partition by customer_id order by month_start) as next_month,
        row_number() over (partition by customer_id order by month_start) as month_number
    from customer_month

),

active as (

    select
        customer_id,
        month_start,
        month_end,
        mrr_usd,
        charge_count,
        case
            when previous_month = cast({{ dbt.dateadd('month', -1, 'month_start') }} as date)
                then previous_mrr
            else 0
        end as previous_mrr_usd,
        month_number,
        next_month
    from sequenced

),

churned as (

    -- the month after the last month of a run with ARR > 0, when it is inside the history
    select
        active.customer_id,
        month_ends.month_start,
        month_ends.month_end,
        0 as mrr_usd,
        0 as charge_count,
        active.mrr_usd as previous_mrr_usd
    from active
    inner join month_ends
        on month_ends.month_start = cast({{ dbt.dateadd('month', 1, 'active.month_start') }} as date)
    where active.next_month is null or active.next_month <> month_ends.month_start

),

months as (

    select
        customer_id, month_start, month_end, mrr_usd, charge_count, previous_mrr_usd,
        case
            when previous_mrr_usd = 0 and month_number = 1 then 'new'
            when previous_mrr_usd = 0 then 'reactivation'
            when mrr_usd > previous_mrr_usd then 'expansion'
            when mrr_usd < previous_mrr_usd then 'contraction'
            else 'no impact'
        end as arr_change_type
    from active
    union all
    select
        customer_id, month_start, month_end, mrr_usd, charge_count, previous_mrr_usd,
        'churn' as arr_change_type
    from churned

)

select
    {{ dbt.concat(["customer_id", "'|'", "cast(month_start as " ~ dbt.type_string() ~ ")"]) }}
        as customer_month_id,
    customer_id,
    month_start,
    month_end,
    cast(mrr_usd as {{ dbt.type_numeric() }}) as mrr_usd,
    cast(12 * mrr_usd as {{ dbt.type_numeric() }}) as arr_usd,
    cast(previous_mrr_usd as {{ dbt.type_numeric() }}) as previous_mrr_usd,
    cast(12 * previous_mrr_usd as {{ dbt.type_numeric() }}) as previous_arr_usd,
    cast(12 * (mrr_usd - previous_mrr_usd) as {{ dbt.type_numeric() }}) as arr_change_usd,
    charge_count,
    arr_change_type
from months
