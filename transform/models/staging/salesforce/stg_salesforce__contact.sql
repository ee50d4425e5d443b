with source as (

    select * from {{ source('salesforce', 'contact') }}
    where not coalesce(isdeleted, false)

)

select
        id as contact_id,
        accountid as account_id,
        lastname as last_name,
        firstname as first_name,
        name,
        title,
        email,
        phone,
        mailingcity as mailing_city,
        mailingcountry as mailing_country,
        leadsource as lead_source,
        hasoptedoutofemail as has_opted_out_of_email,
        ownerid as owner_id,
        lastactivitydate as last_activity_date,
        createddate as created_date,
        createdbyid as created_by_id,
        lastmodifieddate as last_modified_date,
        lastmodifiedbyid as last_modified_by_id,
        systemmodstamp as system_mod_stamp
from source
