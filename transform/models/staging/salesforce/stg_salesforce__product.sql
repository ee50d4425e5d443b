with source as (

    select * from {{ source('salesforce', 'product2') }}
    where not coalesce(isdeleted, false)

)

select
        id as product_id,
        name,
        productcode as product_code,
        description,
        family,
        isactive as is_active,
        createddate as created_date,
        createdbyid as created_by_id,
        lastmodifieddate as last_modified_date,
        lastmodifiedbyid as last_modified_by_id,
        systemmodstamp as system_mod_stamp
from source
