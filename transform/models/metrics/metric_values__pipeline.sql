{#- Sales-accepted opportunities, stage conversion and up-sell, per period, in the columns of
    metric_values:
    - sao: live opportunities whose sales_accepted_date (Sales_Accepted_Date__c) falls in the
      period; in total (every period) and per channel of the deal's first touch
      (fct_opportunity_touch.is_first_touch; deals without a touch in the total only);
    - cost_per_sao: spend (fct_campaign_spend) of the period / its SAOs; per channel, the
      channel's spend / its first-touched SAOs (channels with spend or SAOs);
    - stage_conversion (dimension 'stage', member = stage k): of the opportunities created in
      the period (UTC date), those that reached a stage after k / those that reached k, where
      reaching a stage = having entered it or a later one of var stage_order (skips count);
      stages nobody in the cohort reached have no row;
    - upsells, upsell_iacv: closed-won Upsell opportunities closed in the period, their number
      and their IACV (the world's customers never change plan tier). -#}
{%- set stages = var('stage_order') %}
with periods as (

    select grain, period_start, period_end, period_label from {{ ref('metric_periods') }}

),

opportunity as (

    select * from {{ ref('fct_opportunity') }}

),

accepted as (

    select
        opportunity.opportunity_id,
        opportunity.sales_accepted_date,
        first_touch.channel
    from opportunity
    left join {{ ref('fct_opportunity_touch') }} as first_touch
        on first_touch.opportunity_id = opportunity.opportunity_id
        and first_touch.is_first_touch
    where opportunity.sales_accepted_date is not null

),

sao_facts as (

    select
        periods.grain,
        periods.period_label,
        spend.channel,
        spend.spend_usd,
        0 as saos
    from periods
    inner join {{ ref('fct_campaign_spend') }} as spend
        on spend.spend_date between periods.period_start and periods.period_end
    union all
    select
        periods.grain,
        periods.period_label,
        accepted.channel,
        0,
        1
    from periods
    inner join accepted
        on accepted.sales_accepted_date between periods.period_start and periods.period_end

),

sao_rows as (

    select
        periods.grain,
        periods.period_label,
        'total' as dimension,
        'all' as member,
        coalesce(sum(sao_facts.spend_usd), 0) as spend_usd,
        coalesce(sum(sao_facts.saos), 0) as saos
    from periods
    left join sao_facts
        on sao_facts.grain = periods.grain
        and sao_facts.period_label = periods.period_label
    group by periods.grain, periods.period_label
    union all
    select grain, period_label, 'channel', channel, sum(spend_usd), sum(saos)
    from sao_facts
    where channel is not null
    group by grain, period_label, channel

),

furthest as (

    select
        opportunity_id,
        max(case stage_name
            {%- for stage in stages %}
            when '{{ stage }}' then {{ loop.index0 }}
            {%- endfor %}
        end) as furthest_rank
    from {{ ref('fct_opportunity_stage_history') }}
    group by opportunity_id

),

stage_cohort as (

    select
        periods.grain,
        periods.period_label,
        coalesce(furthest.furthest_rank, -1) as furthest_rank
    from periods
    inner join opportunity
        on opportunity.created_date between periods.period_start and periods.period_end
    left join furthest
        on furthest.opportunity_id = opportunity.opportunity_id

),

stage_rows as (
    {%- for stage in stages[:-1] %}
    select
        grain,
        period_label,
        '{{ stage }}' as member,
        sum(case when furthest_rank >= {{ loop.index0 }} then 1 else 0 end) as reached,
        sum(case when furthest_rank >= {{ loop.index0 + 1 }} then 1 else 0 end) as advanced
    from stage_cohort
    group by grain, period_label
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

upsell_rows as (

    select
        periods.grain,
        periods.period_label,
        count(opportunity.opportunity_id) as upsells,
        coalesce(sum(opportunity.iacv), 0) as upsell_iacv
    from periods
    left join opportunity
        on opportunity.close_date between periods.period_start and periods.period_end
        and opportunity.is_closed
        and opportunity.is_won
        and opportunity.opportunity_type = 'Upsell'
    group by periods.grain, periods.period_label

),

rows_ as (

    select grain, period_label, 'sao' as metric, dimension, member, saos as value
    from sao_rows
    union all
    select grain, period_label, 'cost_per_sao', dimension, member,
        {{ rounded_ratio('spend_usd', 'saos') }}
    from sao_rows
    union all
    select grain, period_label, 'stage_conversion', 'stage', member,
        {{ rounded_ratio('advanced', 'reached') }}
    from stage_rows
    where reached > 0
    union all
    select grain, period_label, 'upsells', 'total', 'all', upsells
    from upsell_rows
    union all
    select grain, period_label, 'upsell_iacv', 'total', 'all', upsell_iacv
    from upsell_rows

)

select
    rows_.metric,
    periods.grain,
    periods.period_start,
    periods.period_end,
    periods.period_label,
    rows_.dimension,
    rows_.member,
    cast(rows_.value as {{ dbt.type_numeric() }}) as value,
    cast(null as {{ dbt.type_bigint() }}) as sample_size
from rows_
inner join periods
    on periods.grain = rows_.grain
    and periods.period_label = rows_.period_label
