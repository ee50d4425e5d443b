with source as (

    select * from {{ source('salesforce', 'campaign') }}
    where not coalesce(isdeleted, false)

)

select
        id as campaign_id,
        name,
        parentid as parent_campaign_id,
        type,
        status,
        startdate as start_date,
        enddate as end_date,
        budgetedcost as budgeted_cost,
        actualcost as actual_cost,
        expectedrevenue as expected_revenue,
        isactive as is_active,
        numberofleads as number_of_leads,
        ownerid as owner_id,
        createddate as created_date,
        createdbyid as created_by_id,
        lastmodifieddate as last_modified_date,
        lastmodifiedbyid as last_modified_by_id,
        systemmodstamp as system_mod_stamp
from source
