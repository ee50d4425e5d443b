{#- One row per customer record of a source system with the conformed customer (account_id:
    the Salesforce Account Id, 18 characters) it names, metrics.md §3 table 3. Each source
    names its customer by a CRM id field (match_method 'crm_id'): Zuora Account.CrmId (as
    map_zuora_account resolves it), Zendesk organization external_id, HubSpot company
    salesforceaccountid. status: resolved (names a loaded Salesforce account), unresolved
    (names one that is not loaded: source_account_unresolved lists them, bizops check counts
    them per source) or no_crm_id (names none; a prospect or a self-serve account, not an
    error). account_id is null unless resolved. A source not loaded has no rows (its staging
    model is built empty). A view, like the staging models, so bizops check sees the raw
    tables as they are now. -#}
{{ config(materialized='view') }}
with salesforce_account as (

    select account_id from {{ ref('stg_salesforce__account') }}

),

named as (

    select
        'zuora' as source,
        zuora_account_id as source_account_id,
        zuora_account_name as source_account_name,
        crm_id,
        {{ salesforce_id_18('crm_id') }} as crm_account_id
    from {{ ref('map_zuora_account') }}

    union all

    select
        'zendesk' as source,
        organization_id as source_account_id,
        name as source_account_name,
        external_id as crm_id,
        {{ salesforce_id_18('external_id') }} as crm_account_id
    from {{ ref('stg_zendesk__organizations') }}

    union all

    select
        'hubspot' as source,
        company_id as source_account_id,
        name as source_account_name,
        salesforce_account_id as crm_id,
        {{ salesforce_id_18('salesforce_account_id') }} as crm_account_id
    from {{ ref('stg_hubspot__companies') }}

)

select
    named.source,
    named.source_account_id,
    named.source_account_name,
    named.crm_id,
    salesforce_account.account_id,
    case when named.crm_id is not null then 'crm_id' end as match_method,
    case
        when named.crm_id is null then 'no_crm_id'
        when salesforce_account.account_id is null then 'unresolved'
        else 'resolved'
    end as status
from named
left join salesforce_account
    on salesforce_account.account_id = named.crm_account_id
