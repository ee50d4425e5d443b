{#- Every Marketo lead and HubSpot contact resolved to its person (dim_person.person_id), one
    row per source record: source ('marketo' / 'hubspot'), source_person_id, person_id (null
    when it does not resolve) and match_method. The rule (metrics.md §3: the lower-cased
    trimmed email plus the Salesforce lead -> contact conversion link):
    1. the record's Salesforce contact id (Marketo sfdcContactId, HubSpot salesforcecontactid)
       names a live contact: that contact's person ('sfdc_contact');
    2. else its Salesforce lead id names a live lead: that lead's person, i.e. the contact it
       was converted into when that contact is loaded, else the lead ('sfdc_lead');
    3. else its normalised email is the email of exactly one person (of a live contact or
       of a live lead, as that lead's person) ('email').
    A person may have several Marketo leads (one per Salesforce lead it was converted from). -#}
{#- A view (as map_source_account), so bizops check sees the raw tables as they are now. -#}
{{ config(materialized='view') }}
with lead as (

    select lead_id, converted_contact_id, email from {{ ref('stg_salesforce__lead') }}

),

contact as (

    select contact_id, email from {{ ref('stg_salesforce__contact') }}

),

lead_person as (

    select
        lead.lead_id,
        lead.email,
        coalesce(contact.contact_id, lead.lead_id) as person_id
    from lead
    left join contact
        on contact.contact_id = lead.converted_contact_id

),

email_person as (

    select email_normalised, min(person_id) as person_id
    from (
        select contact_id as person_id, lower(trim(email)) as email_normalised from contact
        union
        select person_id, lower(trim(email)) from lead_person
    ) as known
    where email_normalised is not null
    group by email_normalised
    having count(distinct person_id) = 1

),

records as (

    select 'marketo' as source, lead_id as source_person_id, sfdc_contact_id, sfdc_lead_id,
        lower(trim(email)) as email_normalised
    from {{ ref('stg_marketo__leads') }}
    union all
    select 'hubspot' as source, contact_id, salesforce_contact_id, salesforce_lead_id,
        lower(trim(email))
    from {{ ref('stg_hubspot__contacts') }}

)

select
    records.source,
    records.source_person_id,
    coalesce(contact.contact_id, lead_person.person_id, email_person.person_id) as person_id,
    case
        when contact.contact_id is not null then 'sfdc_contact'
        when lead_person.person_id is not null then 'sfdc_lead'
        when email_person.person_id is not null then 'email'
    end as match_method
from records
left join contact
    on contact.contact_id = records.sfdc_contact_id
left join lead_person
    on lead_person.lead_id = records.sfdc_lead_id
left join email_person
    on email_person.email_normalised = records.email_normalised
