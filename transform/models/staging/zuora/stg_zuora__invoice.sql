with source as (

    select * from {{ source('zuora', 'invoice') }}
    where _sdc_deleted_at is null

)

select
        id as invoice_id,
        accountid as account_id,
        invoicenumber as invoice_number,
        invoicedate as invoice_date,
        duedate as due_date,
        status,
        amount,
        amountwithouttax as amount_without_tax,
        taxamount as tax_amount,
        balance,
        paymentamount as payment_amount,
        posteddate as posted_date,
        createdbyid as created_by_id,
        createddate as created_date,
        updatedbyid as updated_by_id,
        updateddate as updated_date
from source
