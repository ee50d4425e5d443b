{#- One row per product rate plan charge (the catalog's priced item): its product, rate plan
    and charge, and whether it is recurring revenue. product_id = ProductRatePlanChargeId. -#}
with charge as (

    select * from {{ ref('stg_zuora__product_rate_plan_charge') }}

),

rate_plan as (

    select * from {{ ref('stg_zuora__product_rate_plan') }}

),

product as (

    select * from {{ ref('stg_zuora__product') }}

)

select
    charge.product_rate_plan_charge_id as product_id,
    product.product_id as zuora_product_id,
    product.name as product_name,
    product.sku,
    product.category as product_category,
    rate_plan.product_rate_plan_id,
    rate_plan.name as rate_plan_name,
    charge.name as charge_name,
    charge.charge_type,
    charge.charge_model,
    charge.billing_period,
    charge.uom as unit_of_measure,
    charge.charge_type = 'Recurring' as is_recurring
from charge
left join rate_plan
    on rate_plan.product_rate_plan_id = charge.product_rate_plan_id
left join product
    on product.product_id = rate_plan.product_id
