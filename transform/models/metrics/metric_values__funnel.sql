{#- Campaign cohorts, the lead funnel, conversion time and touch attribution, per period, in
    the columns of metric_values:
    - campaign_cost_per_lead (dimension 'campaign'): a live campaign's ActualCost (none: 0) /
      the live leads it first-touched (all time), in the period of its StartDate;
    - lead_to_opportunity_rate, opportunity_to_won_rate: of the live leads created in the
      period (UTC date), the share whose ConvertedOpportunityId is a live opportunity, and of
      those the share closed-won; in total and per first-touch channel;
    - median_conversion_days: over closed-won opportunities closed in the period that have a
      touch (fct_opportunity_touch), CloseDate - UTC date of the first touch; total and per
      first-touch channel; sample_size = n;
    - first_touch_iacv, last_touch_iacv: IACV booked in the period credited to the channel of
      the first / last touch; the total is the IACV credited to some channel.
    Totals have a row in every period; channels only where they have a fact. -#}
with periods as (

    select grain, period_start, period_end, period_label from {{ ref('metric_periods') }}

),

first_touch_leads as (

    select campaign_id, count(*) as leads
    from {{ ref('fct_touch') }}
    where is_first_touch
    group by campaign_id

),

campaign_cohort as (

    select
        periods.grain,
        periods.period_start,
        periods.period_end,
        periods.period_label,
        'campaign' as dimension,
        campaign.campaign_id as member,
        {{ rounded_ratio('coalesce(campaign.actual_cost, 0)', 'coalesce(first_touch_leads.leads, 0)') }}
            as value,
        cast(null as {{ dbt.type_bigint() }}) as sample_size
    from periods
    inner join {{ ref('dim_campaign') }} as campaign
        on campaign.start_date between periods.period_start and periods.period_end
    left join first_touch_leads
        on first_touch_leads.campaign_id = campaign.campaign_id

),

lead_cohort as (

    select
        lead.lead_id,
        cast(lead.created_date at time zone 'UTC' as date) as created_date,
        first_touch.channel,
        case when opportunity.opportunity_id is not null then 1 else 0 end as reached,
        case when opportunity.is_closed and opportunity.is_won then 1 else 0 end as won
    from {{ ref('stg_salesforce__lead') }} as lead
    left join {{ ref('fct_touch') }} as first_touch
        on first_touch.lead_id = lead.lead_id
        and first_touch.is_first_touch
    left join {{ ref('fct_opportunity') }} as opportunity
        on opportunity.opportunity_id = lead.converted_opportunity_id

),

funnel_facts as (

    select
        periods.grain,
        periods.period_label,
        'total' as dimension,
        'all' as member,
        lead_cohort.lead_id,
        lead_cohort.reached,
        lead_cohort.won
    from periods
    left join lead_cohort
        on lead_cohort.created_date between periods.period_start and periods.period_end
    union all
    select
        periods.grain,
        periods.period_label,
        'channel',
        lead_cohort.channel,
        lead_cohort.lead_id,
        lead_cohort.reached,
        lead_cohort.won
    from periods
    inner join lead_cohort
        on lead_cohort.created_date between periods.period_start and periods.period_end
        and lead_cohort.channel is not null

),

funnel as (

    select
        grain,
        period_label,
        dimension,
        member,
        count(lead_id) as leads,
        coalesce(sum(reached), 0) as reached,
        coalesce(sum(won), 0) as won
    from funnel_facts
    group by grain, period_label, dimension, member

),

won_deal as (

    select
        opportunity.opportunity_id,
        opportunity.close_date,
        opportunity.is_booking,
        opportunity.iacv,
        first_touch.channel as first_channel,
        last_touch.channel as last_channel,
        {{ dbt.datediff('first_touch.touch_date', 'opportunity.close_date', 'day') }}
            as conversion_days
    from {{ ref('fct_opportunity') }} as opportunity
    inner join {{ ref('fct_opportunity_touch') }} as first_touch
        on first_touch.opportunity_id = opportunity.opportunity_id
        and first_touch.is_first_touch
    inner join {{ ref('fct_opportunity_touch') }} as last_touch
        on last_touch.opportunity_id = opportunity.opportunity_id
        and last_touch.is_last_touch
    where opportunity.is_closed and opportunity.is_won

),

deal_facts as (

    select
        periods.grain,
        periods.period_label,
        'total' as dimension,
        'all' as member,
        won_deal.opportunity_id,
        won_deal.conversion_days,
        case when won_deal.first_channel is not null and won_deal.is_booking
            then won_deal.iacv end as first_touch_iacv,
        case when won_deal.last_channel is not null and won_deal.is_booking
            then won_deal.iacv end as last_touch_iacv
    from periods
    left join won_deal
        on won_deal.close_date between periods.period_start and periods.period_end
    union all
    select
        periods.grain,
        periods.period_label,
        'channel',
        won_deal.first_channel,
        won_deal.opportunity_id,
        won_deal.conversion_days,
        case when won_deal.is_booking then won_deal.iacv end,
        null
    from periods
    inner join won_deal
        on won_deal.close_date between periods.period_start and periods.period_end
        and won_deal.first_channel is not null
    union all
    select
        periods.grain,
        periods.period_label,
        'last_channel',
        won_deal.last_channel,
        null,
        null,
        null,
        case when won_deal.is_booking then won_deal.iacv end
    from periods
    inner join won_deal
        on won_deal.close_date between periods.period_start and periods.period_end
        and won_deal.last_channel is not null
        and won_deal.is_booking

),

ranked_days as (

    select
        grain,
        period_label,
        dimension,
        member,
        conversion_days,
        row_number() over (
            partition by grain, period_label, dimension, member order by conversion_days
        ) as position,
        count(*) over (partition by grain, period_label, dimension, member) as n
    from deal_facts
    where conversion_days is not null and dimension in ('total', 'channel')

),

median_days as (

    -- the middle value, or the mean of the two middle ones when n is even
    select
        grain,
        period_label,
        dimension,
        member,
        avg(cast(conversion_days as {{ dbt.type_numeric() }})) as value,
        max(n) as sample_size
    from ranked_days
    where position in ((n + 1) / 2, n / 2 + 1)
    group by grain, period_label, dimension, member

),

deals as (

    select
        grain,
        period_label,
        dimension,
        member,
        count(opportunity_id) as deals,
        count(first_touch_iacv) as first_touch_deals,
        coalesce(sum(first_touch_iacv), 0) as first_touch_iacv,
        count(last_touch_iacv) as last_touch_deals,
        coalesce(sum(last_touch_iacv), 0) as last_touch_iacv
    from deal_facts
    group by grain, period_label, dimension, member

),

rows_ as (

    select grain, period_label, 'lead_to_opportunity_rate' as metric, dimension, member,
        {{ rounded_ratio('reached', 'leads') }} as value,
        cast(null as {{ dbt.type_bigint() }}) as sample_size
    from funnel
    union all
    select grain, period_label, 'opportunity_to_won_rate', dimension, member,
        {{ rounded_ratio('won', 'reached') }}, null
    from funnel
    union all
    -- every period has a total (null without deals); channels only where they have deals
    select deals.grain, deals.period_label, 'median_conversion_days', deals.dimension,
        deals.member, median_days.value, coalesce(median_days.sample_size, 0)
    from deals
    left join median_days
        on median_days.grain = deals.grain
        and median_days.period_label = deals.period_label
        and median_days.dimension = deals.dimension
        and median_days.member = deals.member
    where deals.dimension = 'total' or median_days.value is not null
    union all
    select grain, period_label, 'first_touch_iacv', dimension, member, first_touch_iacv, null
    from deals
    where dimension = 'total' or first_touch_deals > 0
    union all
    select grain, period_label, 'last_touch_iacv', 'channel', member, last_touch_iacv, null
    from deals
    where dimension = 'last_channel'
    union all
    select grain, period_label, 'last_touch_iacv', dimension, member, last_touch_iacv, null
    from deals
    where dimension = 'total'

)

select
    rows_.metric,
    periods.grain,
    periods.period_start,
    periods.period_end,
    periods.period_label,
    rows_.dimension,
    rows_.member,
    rows_.value,
    rows_.sample_size
from rows_
inner join periods
    on periods.grain = rows_.grain
    and periods.period_label = rows_.period_label

union all

select
    'campaign_cost_per_lead' as metric,
    grain,
    period_start,
    period_end,
    period_label,
    dimension,
    member,
    value,
    sample_size
from campaign_cohort
