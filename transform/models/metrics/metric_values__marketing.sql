{#- The marketing metrics of every period (month, fiscal quarter, fiscal year), in the columns
    of metric_values:
    - campaign_spend: fct_campaign_spend by spend date (a campaign's ActualCost on StartDate);
    - leads: live leads by the UTC date of CreatedDate;
    - attributed_leads: those leads that have a first touch (fct_touch.is_first_touch);
    - cost_per_lead: campaign_spend / attributed_leads (null when there are none).
    campaign_spend, attributed_leads and cost_per_lead also per channel (dimension 'channel',
    member = the channel of the spending / first-touching campaign), for the channels with
    spend rows or first-touch leads in the period. -#}
with periods as (

    select grain, period_start, period_end, period_label from {{ ref('metric_periods') }}

),

spend as (

    select * from {{ ref('fct_campaign_spend') }}

),

lead as (

    select
        lead.lead_id,
        cast(lead.created_date at time zone 'UTC' as date) as created_date,
        first_touch.touch_id is not null as is_attributed,
        first_touch.channel
    from {{ ref('stg_salesforce__lead') }} as lead
    left join {{ ref('fct_touch') }} as first_touch
        on first_touch.lead_id = lead.lead_id
        and first_touch.is_first_touch

),

spend_by_period as (

    select
        periods.grain,
        periods.period_label,
        coalesce(sum(spend.spend_usd), 0) as campaign_spend
    from periods
    left join spend
        on spend.spend_date between periods.period_start and periods.period_end
    group by periods.grain, periods.period_label

),

leads_by_period as (

    select
        periods.grain,
        periods.period_label,
        count(lead.lead_id) as leads,
        count(case when lead.is_attributed then 1 end) as attributed_leads
    from periods
    left join lead
        on lead.created_date between periods.period_start and periods.period_end
    group by periods.grain, periods.period_label

),

totals as (

    select
        periods.*,
        'total' as dimension,
        'all' as member,
        spend_by_period.campaign_spend,
        leads_by_period.leads,
        leads_by_period.attributed_leads
    from periods
    inner join spend_by_period
        on spend_by_period.grain = periods.grain
        and spend_by_period.period_label = periods.period_label
    inner join leads_by_period
        on leads_by_period.grain = periods.grain
        and leads_by_period.period_label = periods.period_label

),

channel_facts as (

    select
        periods.grain,
        periods.period_label,
        spend.channel,
        spend.spend_usd,
        0 as attributed_leads
    from periods
    inner join spend
        on spend.spend_date between periods.period_start and periods.period_end
    union all
    select
        periods.grain,
        periods.period_label,
        lead.channel,
        0 as spend_usd,
        1 as attributed_leads
    from periods
    inner join lead
        on lead.created_date between periods.period_start and periods.period_end
        and lead.channel is not null

),

channels as (

    select
        periods.*,
        'channel' as dimension,
        channel_facts.channel as member,
        sum(channel_facts.spend_usd) as campaign_spend,
        cast(null as {{ dbt.type_bigint() }}) as leads,
        sum(channel_facts.attributed_leads) as attributed_leads
    from channel_facts
    inner join periods
        on periods.grain = channel_facts.grain
        and periods.period_label = channel_facts.period_label
    group by
        periods.grain, periods.period_start, periods.period_end, periods.period_label,
        channel_facts.channel

),

measures as (

    select * from totals
    union all
    select * from channels

)

{%- set metrics = [
    ('campaign_spend', 'campaign_spend', ''),
    ('leads', 'leads', "where dimension = 'total'"),
    ('attributed_leads', 'attributed_leads', ''),
    ('cost_per_lead', rounded_ratio('campaign_spend', 'attributed_leads'), ''),
] %}
{%- for name, value, where in metrics %}

select
    '{{ name }}' as metric,
    grain,
    period_start,
    period_end,
    period_label,
    dimension,
    member,
    cast({{ value }} as {{ dbt.type_numeric() }}) as value,
    cast(null as {{ dbt.type_bigint() }}) as sample_size
from measures
{{ where }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
