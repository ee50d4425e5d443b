{#- The support metrics in metric_values' shape, every period at every grain, in total and by
    relation to churn (definitions: catalog/support.yml; tickets from fct_support_ticket):
    - tickets_per_customer: tickets created in the period / distinct accounts that created
      them (4 places, null without tickets);
    - ticket_first_reply_time: median first reply minutes of the tickets created in the
      period that have a first reply, with n;
    - ticket_resolution_time: median full resolution minutes of the tickets finally resolved
      in the period, with n;
    - csat: good / (good + bad) of the ratings given (current score) in the period.
    Dimension churn: member churned when the ticket's account churned (a churn row of
    fct_mrr_monthly) at one of the var('support_churn_window_months') month ends after the
    month of the date that places the ticket; retained otherwise. -#}
{%- set window = var('support_churn_window_months', 6) -%}
with periods as (

    select * from {{ ref('metric_periods') }}

),

ticket as (

    select * from {{ ref('fct_support_ticket') }}

),

churn as (

    select customer_id, month_start
    from {{ ref('fct_mrr_monthly') }}
    where arr_change_type = 'churn'

),

-- every fact with the day that places it and whether its account churned in the window
-- after that day's month
placed as (

    select
        fact.kind, fact.ticket_id, fact.account_id, fact.day, fact.minutes, fact.is_good,
        case when exists (
            select 1 from churn
            where churn.customer_id = fact.account_id
                and churn.month_start > cast({{ dbt.date_trunc('month', 'fact.day') }} as date)
                and churn.month_start <= cast({{ dbt.dateadd('month', window,
                    dbt.date_trunc('month', 'fact.day')) }} as date)
        ) then 'churned' else 'retained' end as churn_member
    from (
        select 'created' as kind, ticket_id, account_id, created_date as day,
            first_reply_minutes as minutes, cast(null as boolean) as is_good
        from ticket
        union all
        select 'resolved', ticket_id, account_id, resolved_date, full_resolution_minutes, null
        from ticket
        where resolved_date is not null
        union all
        select 'rated', ticket_id, account_id, rated_date, null, satisfaction_score = 'good'
        from ticket
        where rated_date is not null
    ) as fact

),

members as (

    select 'total' as dimension, 'all' as member
    union all
    select 'churn', 'churned'
    union all
    select 'churn', 'retained'

),

per_period as (

    select
        periods.grain, periods.period_start, periods.period_end, periods.period_label,
        members.dimension, members.member,
        count(case when placed.kind = 'created' then placed.ticket_id end) as tickets,
        count(distinct case when placed.kind = 'created' then placed.account_id end)
            as accounts,
        percentile_cont(0.5) within group (order by
            case when placed.kind = 'created' then placed.minutes end) as first_reply,
        count(case when placed.kind = 'created' then placed.minutes end) as first_reply_n,
        percentile_cont(0.5) within group (order by
            case when placed.kind = 'resolved' then placed.minutes end) as resolution,
        count(case when placed.kind = 'resolved' then placed.minutes end) as resolution_n,
        count(case when placed.kind = 'rated' and placed.is_good then 1 end) as good,
        count(case when placed.kind = 'rated' then 1 end) as rated
    from periods
    cross join members
    left join placed
        on placed.day between periods.period_start and periods.period_end
        and (members.dimension = 'total' or placed.churn_member = members.member)
    group by periods.grain, periods.period_start, periods.period_end, periods.period_label,
        members.dimension, members.member

)

select 'tickets_per_customer' as metric, grain, period_start, period_end, period_label,
    dimension, member,
    case when accounts = 0 then null else round(cast(tickets as numeric) / accounts, 4) end
        as value,
    cast(null as {{ dbt.type_bigint() }}) as sample_size
from per_period
union all
select 'ticket_first_reply_time', grain, period_start, period_end, period_label, dimension,
    member, cast(first_reply as numeric), first_reply_n
from per_period
union all
select 'ticket_resolution_time', grain, period_start, period_end, period_label, dimension,
    member, cast(resolution as numeric), resolution_n
from per_period
union all
select 'csat', grain, period_start, period_end, period_label, dimension, member,
    case when rated = 0 then null else round(cast(good as numeric) / rated, 4) end, null
from per_period
