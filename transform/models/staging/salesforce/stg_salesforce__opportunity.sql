with source as (

    select * from {{ source('salesforce', 'opportunity') }}
    where not coalesce(isdeleted, false)

)

select
        id as opportunity_id,
        accountid as account_id,
        name,
        description,
        stagename as stage_name,
        amount,
        probability,
        closedate as close_date,
        type,
        nextstep as next_step,
        leadsource as lead_source,
        isclosed as is_closed,
        iswon as is_won,
        forecastcategoryname as forecast_category_name,
        campaignid as campaign_id,
        pricebook2id as pricebook_id,
        ownerid as owner_id,
        arr__c as arr,
        sales_accepted_date__c as sales_accepted_date,
        createddate as created_date,
        createdbyid as created_by_id,
        lastmodifieddate as last_modified_date,
        lastmodifiedbyid as last_modified_by_id,
        systemmodstamp as system_mod_stamp
from source
