{#- One row per live Salesforce campaign; its channel is the campaign Type ('(none)' when
    empty), the breakdown the marketing metrics use. -#}
select
    campaign_id,
    name as campaign_name,
    coalesce(nullif(type, ''), '(none)') as channel,
    parent_campaign_id,
    status,
    start_date,
    end_date,
    budgeted_cost,
    actual_cost,
    expected_revenue,
    is_active,
    owner_id,
    created_date as created_at
from {{ ref('stg_salesforce__campaign') }}
