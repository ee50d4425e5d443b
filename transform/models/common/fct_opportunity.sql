{#- One row per live (not deleted) Salesforce opportunity: its account, type, stage, money and
    dates. IACV is ARR__c where it counts: a closed-won New Business or Upsell opportunity
    (a renewal keeps ARR, it adds none); the created date is the UTC date of CreatedDate,
    what places pipeline in a period; days_to_close is CloseDate minus it, for closed ones.
    is_win_rate_eligible: won or lost, not closed as unqualified (var unqualified_stages).
    sales_accepted_date: Sales_Accepted_Date__c, the date sales accepted the deal (SAO). -#}
with opportunity as (

    select * from {{ ref('stg_salesforce__opportunity') }}

),

dated as (

    select
        opportunity.*,
        cast(created_date at time zone 'UTC' as date) as created_on,
        coalesce(type in ('New Business', 'Upsell'), false) as is_incremental
    from opportunity

)

select
    opportunity_id,
    account_id,
    name as opportunity_name,
    type as opportunity_type,
    stage_name,
    coalesce(is_closed, false) as is_closed,
    coalesce(is_won, false) as is_won,
    is_incremental,
    coalesce(is_won, false) and is_incremental as is_booking,
    -- won or lost: a deal closed as unqualified counts in neither
    coalesce(is_closed, false) and (
        coalesce(is_won, false) or stage_name is null or stage_name not in (
            {%- for stage in var('unqualified_stages', ['Closed Unqualified']) %}
            '{{ stage }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )
    ) as is_win_rate_eligible,
    amount,
    arr,
    case when coalesce(is_won, false) and is_incremental then coalesce(arr, 0) end as iacv,
    campaign_id,
    lead_source,
    owner_id,
    created_date as created_at,
    created_on as created_date,
    close_date,
    -- sales accepted (GitLab's SAO date); null for a deal never accepted
    sales_accepted_date,
    case
        when coalesce(is_closed, false)
            then {{ dbt.datediff('created_on', 'close_date', 'day') }}
    end as days_to_close
from dated
