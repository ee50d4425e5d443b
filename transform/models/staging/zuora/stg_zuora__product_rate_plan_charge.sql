with source as (

    select * from {{ source('zuora', 'productrateplancharge') }}
    where _sdc_deleted_at is null

)

select
        id as product_rate_plan_charge_id,
        productrateplanid as product_rate_plan_id,
        name,
        chargetype as charge_type,
        chargemodel as charge_model,
        billingperiod as billing_period,
        uom,
        defaultquantity as default_quantity,
        description,
        createdbyid as created_by_id,
        createddate as created_date,
        updatedbyid as updated_by_id,
        updateddate as updated_date
from source
