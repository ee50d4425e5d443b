with source as (

    select * from {{ source('zuora', 'rateplancharge') }}
    where _sdc_deleted_at is null
        -- charges of the subscriptions' latest versions only
        and rateplanid in (select rate_plan_id from {{ ref('stg_zuora__rate_plan') }})

)

select
        id as rate_plan_charge_id,
        rateplanid as rate_plan_id,
        productrateplanchargeid as product_rate_plan_charge_id,
        chargenumber as charge_number,
        name,
        chargetype as charge_type,
        chargemodel as charge_model,
        billingperiod as billing_period,
        quantity,
        mrr,
        tcv,
        dmrc,
        dtcv,
        effectivestartdate as effective_start_date,
        effectiveenddate as effective_end_date,
        segment,
        islastsegment as is_last_segment,
        version,
        createdbyid as created_by_id,
        createddate as created_date,
        updatedbyid as updated_by_id,
        updateddate as updated_date
from source
