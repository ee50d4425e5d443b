with source as (

    select * from {{ source('zuora', 'invoicepayment') }}
    where _sdc_deleted_at is null

)

select
        id as invoice_payment_id,
        invoiceid as invoice_id,
        paymentid as payment_id,
        amount,
        refundamount as refund_amount,
        createdbyid as created_by_id,
        createddate as created_date,
        updatedbyid as updated_by_id,
        updateddate as updated_date
from source
