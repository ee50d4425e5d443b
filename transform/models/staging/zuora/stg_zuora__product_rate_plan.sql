with source as (

    select * from {{ source('zuora', 'productrateplan') }}
    where _sdc_deleted_at is null

)

select
        id as product_rate_plan_id,
        productid as product_id,
        name,
        description,
        effectivestartdate as effective_start_date,
        effectiveenddate as effective_end_date,
        createdbyid as created_by_id,
        createddate as created_date,
        updatedbyid as updated_by_id,
        updateddate as updated_date
from source
