with source as (

    select * from {{ source('zuora', 'subscription') }}
    where _sdc_deleted_at is null

),

-- An amendment makes a new version of a subscription (same name, new id); only the latest
-- version describes the subscription now (metrics.md 1.2: "keep only the latest Version per
-- subscription Name", which also survives tenants that mark termed-out versions Expired).
-- A window over the rows read once (a self-join on max(version) per name was planned as a
-- nested loop over the whole table when the raw table had no statistics yet); a row without
-- a name or a version is no latest version, as before.
latest as (

    select
        source.*,
        max(version) over (partition by name) as latest_version
    from source
    where name is not null

)

select
        id as subscription_id,
        accountid as account_id,
        name,
        status,
        termtype as term_type,
        initialterm as initial_term,
        renewalterm as renewal_term,
        autorenew as auto_renew,
        contracteffectivedate as contract_effective_date,
        serviceactivationdate as service_activation_date,
        subscriptionstartdate as subscription_start_date,
        subscriptionenddate as subscription_end_date,
        termstartdate as term_start_date,
        termenddate as term_end_date,
        cancelleddate as cancelled_date,
        version,
        originalid as original_id,
        previoussubscriptionid as previous_subscription_id,
        islatestversion as is_latest_version,
        createdbyid as created_by_id,
        createddate as created_date,
        updatedbyid as updated_by_id,
        updateddate as updated_date
from latest
where version = latest_version
