{#- arr, new_arr, iacv and win_rate_count by customer segment (dimension 'segment'), in the
    columns of metric_values: the segment is dim_account.segment (employee band) of the
    customer's account, 'Unknown' for a customer or opportunity without a loaded account.
    arr: at the end of the period's last month inside the history (fct_mrr_monthly); new_arr:
    the 'new' movements of the period's months inside the history; iacv and win_rate_count as
    in metric_values__sales. Every segment has a row in every period. -#}
with periods as (

    select
        metric_periods.*,
        cast({{ dbt.date_trunc('month', 'history_end') }} as date) as last_month
    from {{ ref('metric_periods') }} as metric_periods

),

segments as (

    {%- for segment in ['Enterprise', 'Mid-Market', 'SMB', 'Unknown'] %}
    select '{{ segment }}' as segment
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

account as (

    select account_id, segment from {{ ref('dim_account') }}

),

mrr_by_segment as (

    select
        mrr.month_start,
        coalesce(account.segment, 'Unknown') as segment,
        sum(mrr.arr_usd) as arr,
        sum(case when mrr.arr_change_type = 'new' then mrr.arr_change_usd else 0 end) as new_arr
    from {{ ref('fct_mrr_monthly') }} as mrr
    left join account
        on account.account_id = mrr.customer_id
    group by mrr.month_start, coalesce(account.segment, 'Unknown')

),

opportunity as (

    select
        opportunity.*,
        coalesce(account.segment, 'Unknown') as segment
    from {{ ref('fct_opportunity') }} as opportunity
    left join account
        on account.account_id = opportunity.account_id

),

grid as (

    select periods.*, segments.segment
    from periods
    cross join segments

),

arr_rows as (

    select
        grid.grain,
        grid.period_label,
        grid.segment,
        coalesce(max(case when mrr.month_start = grid.last_month then mrr.arr end), 0) as arr,
        coalesce(sum(mrr.new_arr), 0) as new_arr
    from grid
    left join mrr_by_segment as mrr
        on mrr.segment = grid.segment
        and mrr.month_start between grid.period_start and grid.last_month
    group by grid.grain, grid.period_label, grid.segment

),

sales_rows as (

    select
        grid.grain,
        grid.period_label,
        grid.segment,
        coalesce(sum(case when opportunity.is_booking then opportunity.iacv end), 0) as iacv,
        count(case when opportunity.is_win_rate_eligible and opportunity.is_won then 1 end)
            as won,
        count(case when opportunity.is_win_rate_eligible then 1 end) as closed
    from grid
    left join opportunity
        on opportunity.segment = grid.segment
        and opportunity.is_closed
        and opportunity.close_date between grid.period_start and grid.period_end
    group by grid.grain, grid.period_label, grid.segment

),

rows_ as (

    select grain, period_label, 'arr' as metric, segment, arr as value
    from arr_rows
    union all
    select grain, period_label, 'new_arr', segment, new_arr
    from arr_rows
    union all
    select grain, period_label, 'iacv', segment, iacv
    from sales_rows
    union all
    select grain, period_label, 'win_rate_count', segment, {{ rounded_ratio('won', 'closed') }}
    from sales_rows

)

select
    rows_.metric,
    periods.grain,
    periods.period_start,
    periods.period_end,
    periods.period_label,
    'segment' as dimension,
    rows_.segment as member,
    cast(rows_.value as {{ dbt.type_numeric() }}) as value,
    cast(null as {{ dbt.type_bigint() }}) as sample_size
from rows_
inner join periods
    on periods.grain = rows_.grain
    and periods.period_label = rows_.period_label
