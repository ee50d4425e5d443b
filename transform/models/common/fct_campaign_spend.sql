{#- Marketing spend: one row per live campaign with an ActualCost, the whole cost placed on
    its StartDate (the cost date: the CRM holds no finer cost records). A campaign without a
    StartDate cannot be placed in a period and has no row (dim_campaign still lists it). -#}
select
    campaign_id,
    channel,
    start_date as spend_date,
    actual_cost as spend_usd
from {{ ref('dim_campaign') }}
where actual_cost is not null
    and start_date is not null
