{#- The ARR domain's rows of metric_values, at month, fiscal quarter and fiscal year:
    mrr, arr, customers: the value at the end of the period's last month inside the history;
    new_arr, reactivation_arr, expansion_arr, contraction_arr, churn_arr, net_new_arr,
    new_customers, churned_customers: the monthly movements of fct_mrr_monthly summed over the
    period's months inside the history. Every period gets every metric (0 when nothing moved). -#}
with periods as (

    select
        metric_periods.*,
        cast({{ dbt.date_trunc('month', 'history_end') }} as date) as last_month
    from {{ ref('metric_periods') }} as metric_periods

),

mrr_monthly as (

    select * from {{ ref('fct_mrr_monthly') }}

),

at_end as (

    select
        periods.grain,
        periods.period_label,
        sum(mrr_monthly.mrr_usd) as mrr,
        sum(mrr_monthly.arr_usd) as arr,
        count(mrr_monthly.customer_id) as customers
    from periods
    inner join mrr_monthly
        on mrr_monthly.month_start = periods.last_month
        and mrr_monthly.arr_usd > 0
    group by periods.grain, periods.period_label

),

moves as (

    select
        periods.grain,
        periods.period_label,
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
    from periods
    inner join mrr_monthly
        on mrr_monthly.month_start between periods.period_start and periods.last_month
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
        coalesce(moves.churned_customers, 0) as churned_customers
    from periods
    left join at_end
        on at_end.grain = periods.grain and at_end.period_label = periods.period_label
    left join moves
        on moves.grain = periods.grain and moves.period_label = periods.period_label

)

{%- set metrics = [
    'mrr', 'arr', 'customers', 'new_arr', 'reactivation_arr', 'expansion_arr',
    'contraction_arr', 'churn_arr', 'net_new_arr', 'new_customers', 'churned_customers',
] %}
{% for metric in metrics %}
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
from wide
{% if not loop.last %}union all{% endif %}
{%- endfor %}
