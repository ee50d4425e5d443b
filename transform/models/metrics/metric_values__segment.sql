{#- Metrics by sales segment (dimension 'segment', members from macro sales_segments), at
    month, fiscal quarter and fiscal year. A customer's segment is its Salesforce account's
    (dim_account.segment); a customer without a live Salesforce account is Unknown.
    - arr, customers: at the end of the period's last month inside the history, as in
      metric_values__arr; new_arr, net_new_arr: fct_mrr_monthly's movements summed over the
      period's months. A customer's movements stay its own, so the segments add up to the
      totals.
    - iacv, bookings, win_rate_count: the closed deals of fct_opportunity by CloseDate, as in
      metric_values__sales, by the segment of the opportunity's account.
    Every period has every segment: sums are 0 and ratios null where a segment has nothing. -#}
with periods as (

    select
        metric_periods.*,
        cast({{ dbt.date_trunc('month', 'history_end') }} as date) as last_month
    from {{ ref('metric_periods') }} as metric_periods

),

segments as (

    {% for segment in sales_segments() -%}
    select '{{ segment }}' as segment
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

grid as (

    select periods.*, segments.segment
    from periods
    cross join segments

),

account as (

    select account_id, segment from {{ ref('dim_account') }}

),

by_month as (

    select
        mrr_monthly.month_start,
        coalesce(account.segment, 'Unknown') as segment,
        sum(mrr_monthly.arr_usd) as arr,
        sum(case when mrr_monthly.arr_usd > 0 then 1 else 0 end) as customers,
        sum(case when mrr_monthly.arr_change_type = 'new' then mrr_monthly.arr_change_usd else 0 end)
            as new_arr,
        sum(mrr_monthly.arr_change_usd) as net_new_arr
    from {{ ref('fct_mrr_monthly') }} as mrr_monthly
    left join account
        on account.account_id = mrr_monthly.customer_id
    group by mrr_monthly.month_start, coalesce(account.segment, 'Unknown')

),

at_end as (

    select grid.grain, grid.period_label, grid.segment, by_month.arr, by_month.customers
    from grid
    inner join by_month
        on by_month.month_start = grid.last_month
        and by_month.segment = grid.segment

),

moves as (

    select
        grid.grain,
        grid.period_label,
        grid.segment,
        sum(by_month.new_arr) as new_arr,
        sum(by_month.net_new_arr) as net_new_arr
    from grid
    inner join by_month
        on by_month.month_start between grid.period_start and grid.last_month
        and by_month.segment = grid.segment
    group by grid.grain, grid.period_label, grid.segment

),

opportunity as (

    select
        fct_opportunity.*,
        coalesce(account.segment, 'Unknown') as segment
    from {{ ref('fct_opportunity') }} as fct_opportunity
    left join account
        on account.account_id = fct_opportunity.account_id
    where fct_opportunity.is_closed

),

closed as (

    select
        grid.grain,
        grid.period_label,
        grid.segment,
        sum(case when opportunity.is_booking then opportunity.iacv else 0 end) as iacv,
        count(case when opportunity.is_booking then 1 end) as bookings,
        count(case when opportunity.is_won then 1 end) as won,
        count(case when opportunity.is_win_rate_eligible then 1 end) as closed
    from grid
    inner join opportunity
        on opportunity.close_date between grid.period_start and grid.period_end
        and opportunity.segment = grid.segment
    group by grid.grain, grid.period_label, grid.segment

),

measures as (

    select
        grid.grain,
        grid.period_start,
        grid.period_end,
        grid.period_label,
        grid.segment,
        coalesce(at_end.arr, 0) as arr,
        coalesce(at_end.customers, 0) as customers,
        coalesce(moves.new_arr, 0) as new_arr,
        coalesce(moves.net_new_arr, 0) as net_new_arr,
        coalesce(closed.iacv, 0) as iacv,
        coalesce(closed.bookings, 0) as bookings,
        {{ rounded_ratio('coalesce(closed.won, 0)', 'coalesce(closed.closed, 0)') }}
            as win_rate_count
    from grid
    left join at_end
        on at_end.grain = grid.grain
        and at_end.period_label = grid.period_label
        and at_end.segment = grid.segment
    left join moves
        on moves.grain = grid.grain
        and moves.period_label = grid.period_label
        and moves.segment = grid.segment
    left join closed
        on closed.grain = grid.grain
        and closed.period_label = grid.period_label
        and closed.segment = grid.segment

)

{%- set metrics = ['arr', 'customers', 'new_arr', 'net_new_arr', 'iacv', 'bookings', 'win_rate_count'] %}
{%- for metric in metrics %}

select
    '{{ metric }}' as metric,
    grain,
    period_start,
    period_end,
    period_label,
    'segment' as dimension,
    segment as member,
    cast({{ metric }} as {{ dbt.type_numeric() }}) as value,
    cast(null as {{ dbt.type_bigint() }}) as sample_size
from measures
{% if not loop.last %}union all{% endif %}
{%- endfor %}
