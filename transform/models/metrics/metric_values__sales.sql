{#- The sales metrics of every period (month, fiscal quarter, fiscal year), in the columns of
    metric_values. From fct_opportunity (live opportunities):
    - closed deals by CloseDate: iacv and bookings (closed-won New Business/Upsell),
      win_rate_count and win_rate_amount (won / won + lost, every type, deals closed as
      unqualified in neither; a missing Amount counts 0), average_deal_size (iacv /
      bookings), median_days_to_close (closed-won, every type; sample_size = n), tcv
      (Amount won, every type) and acv (ARR__c won, every type);
    - pipeline_created by the UTC date of CreatedDate (Amount of New Business/Upsell).
    Sums are 0 in a period without deals; ratios and medians are null there. -#}
with periods as (

    select grain, period_start, period_end, period_label from {{ ref('metric_periods') }}

),

opportunity as (

    select * from {{ ref('fct_opportunity') }}

),

closed as (

    select
        periods.grain,
        periods.period_start,
        periods.period_end,
        periods.period_label,
        coalesce(sum(case when opportunity.is_booking then opportunity.iacv end), 0) as iacv,
        count(case when opportunity.is_booking then 1 end) as bookings,
        count(case when opportunity.is_won then 1 end) as won,
        count(case when opportunity.is_win_rate_eligible then 1 end) as closed,
        coalesce(sum(case when opportunity.is_won then coalesce(opportunity.amount, 0) end), 0)
            as won_amount,
        coalesce(sum(case when opportunity.is_won then coalesce(opportunity.arr, 0) end), 0)
            as won_arr,
        coalesce(sum(case when opportunity.is_win_rate_eligible
            then coalesce(opportunity.amount, 0) end), 0) as closed_amount
    from periods
    left join opportunity
        on opportunity.is_closed
        and opportunity.close_date between periods.period_start and periods.period_end
    group by periods.grain, periods.period_start, periods.period_end, periods.period_label

),

created as (

    select
        periods.grain,
        periods.period_label,
        coalesce(sum(coalesce(opportunity.amount, 0)), 0) as pipeline_created
    from periods
    left join opportunity
        on opportunity.is_incremental
        and opportunity.created_date between periods.period_start and periods.period_end
    group by periods.grain, periods.period_label

),

won_days as (

    select
        periods.grain,
        periods.period_label,
        opportunity.days_to_close,
        row_number() over (
            partition by periods.grain, periods.period_label
            order by opportunity.days_to_close
        ) as position,
        count(*) over (partition by periods.grain, periods.period_label) as n
    from periods
    inner join opportunity
        on opportunity.is_closed
        and opportunity.is_won
        and opportunity.close_date between periods.period_start and periods.period_end

),

median_days as (

    -- the middle value, or the mean of the two middle ones when n is even
    select
        grain,
        period_label,
        avg(cast(days_to_close as {{ dbt.type_numeric() }})) as median_days_to_close,
        max(n) as n
    from won_days
    where position in ((n + 1) / 2, n / 2 + 1)
    group by grain, period_label

),

measures as (

    select
        closed.*,
        created.pipeline_created,
        median_days.median_days_to_close,
        coalesce(median_days.n, 0) as closed_won_n
    from closed
    inner join created
        on created.grain = closed.grain and created.period_label = closed.period_label
    left join median_days
        on median_days.grain = closed.grain and median_days.period_label = closed.period_label

)

{%- set metrics = [
    ('iacv', 'iacv', 'null'),
    ('bookings', 'bookings', 'null'),
    ('win_rate_count', rounded_ratio('won', 'closed'), 'null'),
    ('win_rate_amount', rounded_ratio('won_amount', 'closed_amount'), 'null'),
    ('average_deal_size', rounded_ratio('iacv', 'bookings'), 'null'),
    ('pipeline_created', 'pipeline_created', 'null'),
    ('median_days_to_close', 'median_days_to_close', 'closed_won_n'),
    ('tcv', 'won_amount', 'null'),
    ('acv', 'won_arr', 'null'),
] %}
{%- for name, value, sample_size in metrics %}

select
    '{{ name }}' as metric,
    grain,
    period_start,
    period_end,
    period_label,
    'total' as dimension,
    'all' as member,
    cast({{ value }} as {{ dbt.type_numeric() }}) as value,
    cast({{ sample_size }} as {{ dbt.type_bigint() }}) as sample_size
from measures
{% if not loop.last %}union all{% endif %}
{%- endfor %}
