with source as (

    select * from {{ source('salesforce', 'campaignmember') }}
    where not coalesce(isdeleted, false)

)

select
        id as campaign_member_id,
        campaignid as campaign_id,
        leadid as lead_id,
        contactid as contact_id,
        status,
        hasresponded as has_responded,
        firstrespondeddate as first_responded_date,
        createddate as created_date,
        createdbyid as created_by_id,
        lastmodifieddate as last_modified_date,
        lastmodifiedbyid as last_modified_by_id,
        systemmodstamp as system_mod_stamp
from source
