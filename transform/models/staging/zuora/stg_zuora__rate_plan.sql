with source as (

    select * from {{ source('zuora', 'rateplan') }}
    where _sdc_deleted_at is null
        -- rate plans of the subscriptions' latest versions only (older versions' copies)
        and subscriptionid in (select subscription_id from {{ ref('stg_zuora__subscription') }})

)

select
        id as rate_plan_id,
        subscriptionid as subscription_id,
        productrateplanid as product_rate_plan_id,
        name,
        amendmenttype as amendment_type,
        amendmentid as amendment_id,
        createdbyid as created_by_id,
        createddate as created_date,
        updatedbyid as updated_by_id,
        updateddate as updated_date
from source
