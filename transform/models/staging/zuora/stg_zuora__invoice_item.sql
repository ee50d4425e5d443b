with source as (

    select * from {{ source('zuora', 'invoiceitem') }}
    where _sdc_deleted_at is null

)

select
        id as invoice_item_id,
        invoiceid as invoice_id,
        subscriptionid as subscription_id,
        rateplanchargeid as rate_plan_charge_id,
        chargename as charge_name,
        sku,
        chargeamount as charge_amount,
        taxamount as tax_amount,
        quantity,
        unitprice as unit_price,
        servicestartdate as service_start_date,
        serviceenddate as service_end_date,
        chargedate as charge_date,
        processingtype as processing_type,
        balance,
        createdbyid as created_by_id,
        createddate as created_date,
        updatedbyid as updated_by_id,
        updateddate as updated_date
from source
