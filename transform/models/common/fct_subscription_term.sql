{#- One row per term of a termed subscription that came due for renewal: (subscription name,
    term end date) over every version (earlier terms live on only in expired versions). Due
    unless the subscription (its latest version, counted in ARR) was cancelled before the term
    end (that customer left mid-term: churn, not a lost renewal). atr_usd: the subscription's
    ARR on the term's last day (term_end_date - 1; its charges as in fct_subscription_charge);
    renewed when a version's term starts within var('renewal_grace_days') after the end
    (successor_term_start, the earliest), renewed_arr_usd its ARR on that day. -#}
{%- set grace = var('renewal_grace_days') | int -%}
with version as (

    select * from {{ ref('stg_zuora__subscription_version') }}
    where term_type = 'TERMED' and term_end_date is not null

),

terms as (

    select distinct name as subscription_name, term_end_date
    from version

),

subscription as (

    select * from {{ ref('dim_subscription') }}
    where is_counted_in_arr

),

charge as (

    select subscription_id, effective_start_date, active_until, arr_usd
    from {{ ref('fct_subscription_charge') }}

),

successor as (

    select
        terms.subscription_name,
        terms.term_end_date,
        min(version.term_start_date) as successor_term_start
    from terms
    inner join version
        on version.name = terms.subscription_name
        and version.term_start_date >= terms.term_end_date
        and version.term_start_date
            <= cast({{ dbt.dateadd('day', grace, 'terms.term_end_date') }} as date)
    group by terms.subscription_name, terms.term_end_date

),

due as (

    select
        terms.subscription_name,
        terms.term_end_date,
        cast({{ dbt.dateadd('day', -1, 'terms.term_end_date') }} as date) as term_last_day,
        subscription.subscription_id,
        subscription.customer_id,
        subscription.auto_renew,
        successor.successor_term_start
    from terms
    inner join subscription
        on subscription.subscription_name = terms.subscription_name
    left join successor
        on successor.subscription_name = terms.subscription_name
        and successor.term_end_date = terms.term_end_date
    where subscription.cancelled_date is null
        or subscription.cancelled_date >= terms.term_end_date

),

valued as (

    select
        due.subscription_name,
        due.term_end_date,
        sum(case
            when charge.effective_start_date <= due.term_last_day
                and (charge.active_until is null or due.term_last_day < charge.active_until)
                then charge.arr_usd
            else 0
        end) as atr_usd,
        sum(case
            when charge.effective_start_date <= due.successor_term_start
                and (charge.active_until is null
                    or due.successor_term_start < charge.active_until)
                then charge.arr_usd
            else 0
        end) as renewed_arr_usd
    from due
    left join charge
        on charge.subscription_id = due.subscription_id
    group by due.subscription_name, due.term_end_date

)

select
    {{ dbt.concat(["due.subscription_name", "'|'", "cast(due.term_end_date as " ~ dbt.type_string() ~ ")"]) }}
        as subscription_term_id,
    due.subscription_name,
    due.subscription_id,
    due.customer_id,
    due.auto_renew,
    due.term_end_date,
    due.successor_term_start,
    due.successor_term_start is not null as is_renewed,
    cast(coalesce(valued.atr_usd, 0) as {{ dbt.type_numeric() }}) as atr_usd,
    cast(coalesce(valued.renewed_arr_usd, 0) as {{ dbt.type_numeric() }}) as renewed_arr_usd
from due
inner join valued
    on valued.subscription_name = due.subscription_name
    and valued.term_end_date = due.term_end_date
