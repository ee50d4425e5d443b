{#- Acquisition cost and return by first touch, per period, in the columns of metric_values.
    A won deal's first touch is fct_opportunity_touch.is_first_touch (the earliest touch of
    the persons converted into it, up to its close); its channel is that campaign's.
    - channel_cac: spend (fct_campaign_spend) of the period / new customers of the period =
      closed-won New Business deals closed in it, each credited to its first-touch channel;
      per channel (channels with spend or new customers) and in total (all spend / all
      attributed new customers, every period);
    - campaign_roi (dimension 'campaign'): a live campaign's first-touch IACV (bookings whose
      first touch is a member of it, all time) / its ActualCost (none: 0), in the period of
      its StartDate; null without cost;
    - iacv_at_median_conversion_time, estimated_iacv: cohort = bookings whose first touch
      (UTC date) falls in the period; IACV_T = their IACV closed within var
      iacv_horizon_days (T) of that touch, estimated = 2 x IACV_T; null until the period has
      matured (history's last day - period end >= T); channels only in matured periods. -#}
{%- set horizon = var('iacv_horizon_days', 45) %}
with periods as (

    select grain, period_start, period_end, period_label from {{ ref('metric_periods') }}

),

history as (

    select last_day from {{ ref('metric_history') }}

),

won_first_touch as (

    select
        opportunity.opportunity_id,
        opportunity.opportunity_type,
        opportunity.is_booking,
        opportunity.iacv,
        opportunity.close_date,
        first_touch.campaign_id,
        first_touch.channel,
        first_touch.touch_date
    from {{ ref('fct_opportunity') }} as opportunity
    inner join {{ ref('fct_opportunity_touch') }} as first_touch
        on first_touch.opportunity_id = opportunity.opportunity_id
        and first_touch.is_first_touch
    where opportunity.is_closed and opportunity.is_won

),

cac_facts as (

    select
        periods.grain,
        periods.period_label,
        spend.channel,
        spend.spend_usd,
        0 as new_customers
    from periods
    inner join {{ ref('fct_campaign_spend') }} as spend
        on spend.spend_date between periods.period_start and periods.period_end
    union all
    select
        periods.grain,
        periods.period_label,
        won_first_touch.channel,
        0,
        1
    from periods
    inner join won_first_touch
        on won_first_touch.close_date between periods.period_start and periods.period_end
        and won_first_touch.opportunity_type = 'New Business'
        and won_first_touch.channel is not null

),

cac_channels as (

    select
        grain,
        period_label,
        'channel' as dimension,
        channel as member,
        sum(spend_usd) as spend_usd,
        sum(new_customers) as new_customers
    from cac_facts
    group by grain, period_label, channel

),

cac_totals as (

    select
        periods.grain,
        periods.period_label,
        'total' as dimension,
        'all' as member,
        coalesce(sum(cac_channels.spend_usd), 0) as spend_usd,
        coalesce(sum(cac_channels.new_customers), 0) as new_customers
    from periods
    left join cac_channels
        on cac_channels.grain = periods.grain
        and cac_channels.period_label = periods.period_label
    group by periods.grain, periods.period_label

),

campaign_iacv as (

    select campaign_id, sum(iacv) as iacv
    from won_first_touch
    where is_booking
    group by campaign_id

),

campaign_return as (

    select
        periods.grain,
        periods.period_label,
        'campaign' as dimension,
        campaign.campaign_id as member,
        {{ rounded_ratio('coalesce(campaign_iacv.iacv, 0)', 'coalesce(campaign.actual_cost, 0)') }}
            as value
    from periods
    inner join {{ ref('dim_campaign') }} as campaign
        on campaign.start_date between periods.period_start and periods.period_end
    left join campaign_iacv
        on campaign_iacv.campaign_id = campaign.campaign_id

),

matured as (

    select
        periods.grain,
        periods.period_start,
        periods.period_end,
        periods.period_label
    from periods
    cross join history
    where {{ dbt.datediff('periods.period_end', 'history.last_day', 'day') }} >= {{ horizon }}

),

cohort as (

    select
        matured.grain,
        matured.period_label,
        won_first_touch.channel,
        case
            when {{ dbt.datediff('won_first_touch.touch_date', 'won_first_touch.close_date', 'day') }}
                <= {{ horizon }}
                then won_first_touch.iacv
            else 0
        end as iacv
    from matured
    inner join won_first_touch
        on won_first_touch.touch_date between matured.period_start and matured.period_end
        and won_first_touch.is_booking

),

horizon_rows as (

    select
        periods.grain,
        periods.period_label,
        'total' as dimension,
        'all' as member,
        case when matured.grain is not null then coalesce(sum(cohort.iacv), 0) end as iacv
    from periods
    left join matured
        on matured.grain = periods.grain
        and matured.period_label = periods.period_label
    left join cohort
        on cohort.grain = periods.grain
        and cohort.period_label = periods.period_label
    group by periods.grain, periods.period_label, matured.grain
    union all
    select grain, period_label, 'channel', channel, sum(iacv)
    from cohort
    where channel is not null
    group by grain, period_label, channel

),

rows_ as (

    select grain, period_label, 'channel_cac' as metric, dimension, member,
        {{ rounded_ratio('spend_usd', 'new_customers') }} as value
    from cac_totals
    union all
    select grain, period_label, 'channel_cac', dimension, member,
        {{ rounded_ratio('spend_usd', 'new_customers') }}
    from cac_channels
    union all
    select grain, period_label, 'campaign_roi', dimension, member, value
    from campaign_return
    union all
    select grain, period_label, 'iacv_at_median_conversion_time', dimension, member, iacv
    from horizon_rows
    union all
    select grain, period_label, 'estimated_iacv', dimension, member, 2 * iacv
    from horizon_rows

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
