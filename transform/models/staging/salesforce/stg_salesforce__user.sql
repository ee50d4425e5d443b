with source as (

    select * from {{ source('salesforce', 'user') }}
    where _sdc_deleted_at is null

)

select
        id as user_id,
        username,
        lastname as last_name,
        firstname as first_name,
        name,
        email,
        title,
        department,
        isactive as is_active,
        managerid as manager_id,
        timezonesidkey as time_zone_sid_key,
        usertype as user_type,
        createddate as created_date,
        createdbyid as created_by_id,
        lastmodifieddate as last_modified_date,
        lastmodifiedbyid as last_modified_by_id,
        systemmodstamp as system_mod_stamp
from source
