{#- The ARR domain's rows of metric_values, at month, fiscal quarter and fiscal year:
    mrr, arr, customers: the value at the end of the period's last month inside the history;
    new_arr, reactivation_arr, expansion_arr, contraction_arr, churn_arr, net_new_arr,
    new_customers, churned_customers: the monthly movements of fct_mrr_monthly summed over the
    period's months inside the history. Every period gets every metric (0 when nothing moved).
    arpa: arr / customers at the period's end. At quarter and fiscal-year grain,
    net_revenue_retention and gross_revenue_retention of the cohort of customers with ARR > 0
    at the end of the month before the period (A) against their ARR at its end (B):
    sum(B) / sum(A) and sum(min(A, B)) / sum(A); and ltv = arpa x var('gross_margin') /
    annual ARR churn rate (churn_arr / ARR at the start x 12 / the period's months inside the
    history). Ratios are rounded to 4 places, null when undefined. -#}
{%- set gross_margin = var('gross_margin') | string -%}
{%- if not gross_margin.replace('.', '', 1).isdigit() -%}
    {{ exceptions.raise_compiler_error("var gross_margin must be a decimal number such as 0.8, got " ~ gross_margin) }}
{%- endif %}
with periods as (

    select
        metric_periods.*,
        cast({{ dbt.date_trunc('month', 'history_end') }} as date) as last_month
    from {{ ref('metric_periods') }} as metric_periods

),

mrr_monthly as (

    select * from {{ ref('fct_mrr_monthly') }}

),

by_month as (

    -- one row per month: the month-end snapshot and the month's movements (periods then
    -- join some 40 months, not every customer-month)
    select
        month_start,
        sum(mrr_usd) as mrr,
        sum(arr_usd) as arr,
        sum(case when arr_usd > 0 then 1 else 0 end) as customers,
        sum(case when arr_change_type = 'new' then arr_change_usd else 0 end) as new_arr,
        sum(case when arr_change_type = 'reactivation' then arr_change_usd else 0 end)
            as reactivation_arr,
        sum(case when arr_change_type = 'expansion' then arr_change_usd else 0 end)
            as expansion_arr,
        sum(case when arr_change_type = 'contraction' then -arr_change_usd else 0 end)
            as contraction_arr,
        sum(case when arr_change_type = 'churn' then -arr_change_usd else 0 end) as churn_arr,
        sum(arr_change_usd) as net_new_arr,
        sum(case when arr_change_type = 'new' then 1 else 0 end) as new_customers,
        sum(case when arr_change_type = 'churn' then 1 else 0 end) as churned_customers
    from mrr_monthly
    group by month_start

),

at_end as (

    select
        periods.grain,
        periods.period_label,
        by_month.mrr,
        by_month.arr,
        by_month.customers
    from periods
    inner join by_month
        on by_month.month_start = periods.last_month

),

moves as (

    select
        periods.grain,
        periods.period_label,
        sum(by_month.new_arr) as new_arr,
        sum(by_month.reactivation_arr) as reactivation_arr,
        sum(by_month.expansion_arr) as expansion_arr,
        sum(by_month.contraction_arr) as contraction_arr,
        sum(by_month.churn_arr) as churn_arr,
        sum(by_month.net_new_arr) as net_new_arr,
        sum(by_month.new_customers) as new_customers,
        sum(by_month.churned_customers) as churned_customers
    from periods
    inner join by_month
        on by_month.month_start between periods.period_start and periods.last_month
    group by periods.grain, periods.period_label

),

cohort as (

    select
        periods.grain,
        periods.period_label,
        count(*) as cohort_customers,
        sum(at_start.arr_usd) as starting_arr,
        sum(coalesce(at_period_end.arr_usd, 0)) as retained_arr,
        sum(
            case
                when coalesce(at_period_end.arr_usd, 0) < at_start.arr_usd
                    then coalesce(at_period_end.arr_usd, 0)
                else at_start.arr_usd
            end
        ) as kept_arr
    from periods
    inner join mrr_monthly as at_start
        on at_start.month_start = cast({{ dbt.dateadd('month', -1, 'periods.period_start') }} as date)
        and at_start.arr_usd > 0
    left join mrr_monthly as at_period_end
        on at_period_end.customer_id = at_start.customer_id
        and at_period_end.month_start = periods.last_month
        and at_period_end.arr_usd > 0
    group by periods.grain, periods.period_label

),

wide as (

    select
        periods.grain,
        periods.period_start,
        periods.period_end,
        periods.period_label,
        coalesce(at_end.mrr, 0) as mrr,
        coalesce(at_end.arr, 0) as arr,
        coalesce(at_end.customers, 0) as customers,
        coalesce(moves.new_arr, 0) as new_arr,
        coalesce(moves.reactivation_arr, 0) as reactivation_arr,
        coalesce(moves.expansion_arr, 0) as expansion_arr,
        coalesce(moves.contraction_arr, 0) as contraction_arr,
        coalesce(moves.churn_arr, 0) as churn_arr,
        coalesce(moves.net_new_arr, 0) as net_new_arr,
        coalesce(moves.new_customers, 0) as new_customers,
        coalesce(moves.churned_customers, 0) as churned_customers,
        coalesce(cohort.starting_arr, 0) as starting_arr,
        cohort.retained_arr,
        cohort.kept_arr,
        cast({{ dbt.datediff('periods.period_start', 'periods.last_month', 'month') }} as integer) + 1
            as months
    from periods
    left join at_end
        on at_end.grain = periods.grain and at_end.period_label = periods.period_label
    left join moves
        on moves.grain = periods.grain and moves.period_label = periods.period_label
    left join cohort
        on cohort.grain = periods.grain and cohort.period_label = periods.period_label

),

valued as (

    select
        wide.*,
        round(arr / nullif(customers, 0), 4) as arpa,
        round(retained_arr / nullif(starting_arr, 0), 4) as net_revenue_retention,
        round(kept_arr / nullif(starting_arr, 0), 4) as gross_revenue_retention,
        case
            when customers > 0 and churn_arr > 0 and starting_arr > 0 then round(
                arr * cast('{{ gross_margin }}' as {{ dbt.type_numeric() }}) * starting_arr * months
                / (customers * churn_arr * 12),
                4
            )
        end as ltv
    from wide

)

{#- metric: the grains it is given at -#}
{%- set every = ['month', 'quarter', 'fiscal-year'] %}
{%- set metrics = {
    'mrr': every, 'arr': every, 'customers': every, 'new_arr': every,
    'reactivation_arr': every, 'expansion_arr': every, 'contraction_arr': every,
    'churn_arr': every, 'net_new_arr': every, 'new_customers': every,
    'churned_customers': every, 'arpa': every,
    'net_revenue_retention': ['quarter', 'fiscal-year'],
    'gross_revenue_retention': ['quarter', 'fiscal-year'],
    'ltv': ['quarter', 'fiscal-year'],
} %}
{% for metric, grains in metrics.items() %}
select
    '{{ metric }}' as metric,
    grain,
    period_start,
    period_end,
    period_label,
    'total' as dimension,
    'all' as member,
    cast({{ metric }} as {{ dbt.type_numeric() }}) as value,
    cast(null as {{ dbt.type_bigint() }}) as sample_size
from valued
where grain in ('{{ grains | join("', '") }}')
{% if not loop.last %}union all{% endif %}
{%- endfor %}
