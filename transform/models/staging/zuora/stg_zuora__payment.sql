with source as (

    select * from {{ source('zuora', 'payment') }}
    where _sdc_deleted_at is null

)

select
        id as payment_id,
        accountid as account_id,
        paymentnumber as payment_number,
        amount,
        appliedamount as applied_amount,
        refundamount as refund_amount,
        effectivedate as effective_date,
        status,
        type,
        gateway,
        referenceid as reference_id,
        createdbyid as created_by_id,
        createddate as created_date,
        updatedbyid as updated_by_id,
        updateddate as updated_date
from source
