with source as (

    select * from {{ source('salesforce', 'opportunitylineitem') }}
    where not coalesce(isdeleted, false)

)

select
        id as opportunity_line_item_id,
        opportunityid as opportunity_id,
        sortorder as sort_order,
        pricebookentryid as pricebook_entry_id,
        product2id as product_id,
        productcode as product_code,
        name,
        quantity,
        totalprice as total_price,
        unitprice as unit_price,
        listprice as list_price,
        servicedate as service_date,
        description,
        createddate as created_date,
        createdbyid as created_by_id,
        lastmodifieddate as last_modified_date,
        lastmodifiedbyid as last_modified_by_id,
        systemmodstamp as system_mod_stamp
from source
