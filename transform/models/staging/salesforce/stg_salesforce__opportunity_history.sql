with source as (

    select * from {{ source('salesforce', 'opportunityhistory') }}
    where not coalesce(isdeleted, false)

)

select
        id as opportunity_history_id,
        opportunityid as opportunity_id,
        stagename as stage_name,
        amount,
        expectedrevenue as expected_revenue,
        closedate as close_date,
        probability,
        forecastcategory as forecast_category,
        createddate as created_date,
        createdbyid as created_by_id,
        systemmodstamp as system_mod_stamp
from source
