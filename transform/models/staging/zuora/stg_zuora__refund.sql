with source as (

    select * from {{ source('zuora', 'refund') }}
    where _sdc_deleted_at is null

)

select
        id as refund_id,
        accountid as account_id,
        refundnumber as refund_number,
        amount,
        refunddate as refund_date,
        status,
        type,
        reasoncode as reason_code,
        methodtype as method_type,
        createdbyid as created_by_id,
        createddate as created_date,
        updatedbyid as updated_by_id,
        updateddate as updated_date
from source
