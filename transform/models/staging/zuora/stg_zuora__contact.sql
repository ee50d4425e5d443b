with source as (

    select * from {{ source('zuora', 'contact') }}
    where _sdc_deleted_at is null

)

select
        id as contact_id,
        accountid as account_id,
        firstname as first_name,
        lastname as last_name,
        workemail as work_email,
        personalemail as personal_email,
        workphone as work_phone,
        address1,
        city,
        state,
        postalcode as postal_code,
        country,
        createdbyid as created_by_id,
        createddate as created_date,
        updatedbyid as updated_by_id,
        updateddate as updated_date
from source
