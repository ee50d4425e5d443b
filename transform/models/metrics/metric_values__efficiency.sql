{#- Metrics across domains, from the domain marts' totals, in the columns of metric_values:
    - cac: campaign_spend / new_customers of the same period (every grain);
    - magic_number: net_new_arr of a fiscal quarter / campaign_spend of the quarter before
      (null for the first quarter of the history, and when that spend is 0);
    - sales_efficiency: iacv / campaign_spend of the same fiscal quarter;
    - ltv_to_cac: ltv / cac of the same quarter or fiscal year, each as reported (4 decimals).
    Campaign cost stands for sales and marketing spend until a finance source exists. -#}
with totals as (

    select metric, grain, period_start, period_end, period_label, value
    from {{ ref('metric_values__arr') }}
    where dimension = 'total' and metric in ('net_new_arr', 'new_customers', 'ltv')
    union all
    select metric, grain, period_start, period_end, period_label, value
    from {{ ref('metric_values__marketing') }}
    where dimension = 'total' and metric = 'campaign_spend'
    union all
    select metric, grain, period_start, period_end, period_label, value
    from {{ ref('metric_values__sales') }}
    where dimension = 'total' and metric = 'iacv'

),

periods as (

    select
        grain,
        period_start,
        period_end,
        period_label,
        max(case when metric = 'net_new_arr' then value end) as net_new_arr,
        max(case when metric = 'new_customers' then value end) as new_customers,
        max(case when metric = 'ltv' then value end) as ltv,
        max(case when metric = 'campaign_spend' then value end) as spend,
        max(case when metric = 'iacv' then value end) as iacv
    from totals
    group by grain, period_start, period_end, period_label

),

with_cac as (

    select
        periods.*,
        {{ rounded_ratio('spend', 'new_customers') }} as cac,
        lag(spend) over (partition by grain order by period_start) as prior_spend
    from periods

),

metrics as (

    select grain, period_start, period_end, period_label, 'cac' as metric, cac as value
    from with_cac
    union all
    select grain, period_start, period_end, period_label, 'magic_number',
        {{ rounded_ratio('net_new_arr', 'prior_spend') }}
    from with_cac
    where grain = 'quarter'
    union all
    select grain, period_start, period_end, period_label, 'sales_efficiency',
        {{ rounded_ratio('iacv', 'spend') }}
    from with_cac
    where grain = 'quarter'
    union all
    select grain, period_start, period_end, period_label, 'ltv_to_cac',
        {{ rounded_ratio('ltv', 'cac') }}
    from with_cac
    where grain in ('quarter', 'fiscal-year')

)

select
    metric,
    grain,
    period_start,
    period_end,
    period_label,
    'total' as dimension,
    'all' as member,
    value,
    cast(null as {{ dbt.type_bigint() }}) as sample_size
from metrics
