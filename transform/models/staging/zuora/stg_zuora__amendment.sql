with source as (

    select * from {{ source('zuora', 'amendment') }}
    where _sdc_deleted_at is null

)

select
        id as amendment_id,
        code,
        name,
        type,
        status,
        subscriptionid as subscription_id,
        effectivedate as effective_date,
        contracteffectivedate as contract_effective_date,
        description,
        bookingdate as booking_date,
        createdbyid as created_by_id,
        createddate as created_date,
        updatedbyid as updated_by_id,
        updateddate as updated_date
from source
