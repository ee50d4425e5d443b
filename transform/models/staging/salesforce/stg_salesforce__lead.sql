with source as (

    select * from {{ source('salesforce', 'lead') }}
    where not coalesce(isdeleted, false)

)

select
        id as lead_id,
        lastname as last_name,
        firstname as first_name,
        name,
        company,
        title,
        email,
        phone,
        status,
        leadsource as lead_source,
        industry,
        rating,
        numberofemployees as number_of_employees,
        annualrevenue as annual_revenue,
        isconverted as is_converted,
        converteddate as converted_date,
        convertedaccountid as converted_account_id,
        convertedcontactid as converted_contact_id,
        convertedopportunityid as converted_opportunity_id,
        ownerid as owner_id,
        createddate as created_date,
        createdbyid as created_by_id,
        lastmodifieddate as last_modified_date,
        lastmodifiedbyid as last_modified_by_id,
        systemmodstamp as system_mod_stamp
from source
