{#- The multi-touch attribution metrics of every period, one metric per model m (first_touch,
    last_touch, lead_creation, linear, u_shaped, w_shaped), total and per channel of the
    credited touch (fct_attribution), by the conversion's date:
    - attributed_leads_<m>: sum of the lead_created weights (4 decimals);
    - attributed_iacv_<m>: sum of weight x IACV of the opportunity_won conversions (2 decimals);
    - cost_per_attributed_lead_<m>: channel spend / attributed leads (4 decimals, null over 0);
    - attributed_cac_<m>: channel spend / credited new customers (the weights of the won New
      Business opportunities), 4 decimals, null over 0.
    Channel spend: Marketo program period costs (stg_marketo__program_costs) by their start
    date, the program channel mapped by the var attribution_program_channels (unmapped: the
    program channel itself). A channel is listed in a period when it has spend or credit there
    under the model. The ratios divide the unconstrained numeric sums (rounded_ratio's
    numeric(28,6) cast would round a sum of thirds before dividing). -#}
{%- set models = ['first_touch', 'last_touch', 'lead_creation', 'linear', 'u_shaped',
                  'w_shaped'] -%}
with model as (

    {%- for m in models %}
    select '{{ m }}' as model{% if not loop.last %} union all{% endif %}
    {%- endfor %}

),

periods as (

    select grain, period_start, period_end, period_label from {{ ref('metric_periods') }}

),

spend as (

    select
        cost_start_date as spend_date,
        case channel
        {%- for key, channel in var('attribution_program_channels').items() %}
            when '{{ key }}' then '{{ channel }}'
        {%- endfor %}
            else coalesce(channel, '(none)')
        end as channel,
        cost_usd
    from {{ ref('stg_marketo__program_costs') }}

),

facts as (

    select
        model.model,
        spend.spend_date as fact_date,
        spend.channel,
        spend.cost_usd as spend_usd,
        0 as leads,
        0 as iacv,
        0 as customers
    from spend
    cross join model
    union all
    select
        model,
        conversion_date,
        channel,
        0,
        coalesce(credited_count, 0),
        coalesce(credited_iacv_usd, 0),
        case when is_new_customer then weight else 0 end
    from {{ ref('fct_attribution') }}

),

by_member as (

    select
        facts.model,
        periods.grain,
        periods.period_start,
        periods.period_end,
        periods.period_label,
        grouping(facts.channel) as is_total,
        facts.channel,
        sum(facts.spend_usd) as spend_usd,
        sum(facts.leads) as leads,
        sum(facts.iacv) as iacv,
        sum(facts.customers) as customers
    from periods
    inner join facts
        on facts.fact_date between periods.period_start and periods.period_end
    group by grouping sets (
        (facts.model, periods.grain, periods.period_start, periods.period_end,
         periods.period_label, facts.channel),
        (facts.model, periods.grain, periods.period_start, periods.period_end,
         periods.period_label)
    )

),

totals as (

    {#- every period has a total row of every model, 0 when nothing happened in it -#}
    select
        model.model, periods.grain, periods.period_start, periods.period_end,
        periods.period_label, 1 as is_total, cast(null as {{ dbt.type_string() }}) as channel,
        coalesce(by_member.spend_usd, 0) as spend_usd,
        coalesce(by_member.leads, 0) as leads,
        coalesce(by_member.iacv, 0) as iacv,
        coalesce(by_member.customers, 0) as customers
    from periods
    cross join model
    left join by_member
        on by_member.is_total = 1
        and by_member.model = model.model
        and by_member.grain = periods.grain
        and by_member.period_label = periods.period_label

),

measures as (

    select * from totals
    union all
    select * from by_member where is_total = 0

)

{%- set measures = [
    ('attributed_leads', 'round(leads, 4)'),
    ('attributed_iacv', 'round(iacv, 2)'),
    ('cost_per_attributed_lead', 'round(spend_usd / nullif(leads, 0), 4)'),
    ('attributed_cac', 'round(spend_usd / nullif(customers, 0), 4)'),
] %}
{%- for name, value in measures %}
{%- if not loop.first %}
union all
{%- endif %}

select
    '{{ name }}_' || model as metric,
    grain,
    period_start,
    period_end,
    period_label,
    case when is_total = 1 then 'total' else 'channel' end as dimension,
    case when is_total = 1 then 'all' else channel end as member,
    cast({{ value }} as numeric) as value,
    cast(null as {{ dbt.type_bigint() }}) as sample_size
from measures
{%- endfor %}
