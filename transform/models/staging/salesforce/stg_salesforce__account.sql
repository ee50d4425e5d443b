with source as (

    select * from {{ source('salesforce', 'account') }}
    where not coalesce(isdeleted, false)

)

select
        id as account_id,
        name,
        type,
        parentid as parent_account_id,
        billingstreet as billing_street,
        billingcity as billing_city,
        billingstate as billing_state,
        billingpostalcode as billing_postal_code,
        billingcountry as billing_country,
        phone,
        website,
        industry,
        annualrevenue as annual_revenue,
        numberofemployees as number_of_employees,
        description,
        ownerid as owner_id,
        accountsource as account_source,
        lastactivitydate as last_activity_date,
        customer_since__c as customer_since,
        zuora_account_number__c as zuora_account_number,
        createddate as created_date,
        createdbyid as created_by_id,
        lastmodifieddate as last_modified_date,
        lastmodifiedbyid as last_modified_by_id,
        systemmodstamp as system_mod_stamp
from source
