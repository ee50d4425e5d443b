{#- One row per person: every live Salesforce contact, and every live lead that was not
    converted into a loaded contact. A lead converted into a contact is that contact (its
    person_id is the contact id); a person keeps the earliest of its leads (by CreatedDate,
    then Id) as lead_id. email_normalised is the trimmed, lower-cased email. marketo_lead_id /
    hubspot_contact_id: the person's Marketo lead / HubSpot contact (map_person_source; of
    several, the least id in text order). -#}
with lead as (

    select * from {{ ref('stg_salesforce__lead') }}

),

contact as (

    select * from {{ ref('stg_salesforce__contact') }}

),

lead_person as (

    select
        lead.*,
        coalesce(contact.contact_id, lead.lead_id) as person_id,
        row_number() over (
            partition by coalesce(contact.contact_id, lead.lead_id)
            order by lead.created_date, {{ binary_order('lead.lead_id') }}
        ) as lead_number,
        count(*) over (partition by coalesce(contact.contact_id, lead.lead_id)) as lead_count
    from lead
    left join contact
        on contact.contact_id = lead.converted_contact_id

),

first_lead as (

    select * from lead_person where lead_number = 1

),

source_person as (

    select
        person_id,
        min(case when source = 'marketo' then source_person_id end) as marketo_lead_id,
        min(case when source = 'hubspot' then source_person_id end) as hubspot_contact_id
    from {{ ref('map_person_source') }}
    where person_id is not null
    group by person_id

),

person as (

select
    contact.contact_id as person_id,
    'contact' as person_type,
    first_lead.lead_id,
    contact.contact_id,
    coalesce(first_lead.lead_count, 0) as lead_count,
    lower(trim(coalesce(contact.email, first_lead.email))) as email_normalised,
    contact.account_id,
    contact.first_name,
    contact.last_name,
    contact.title,
    coalesce(first_lead.lead_source, contact.lead_source) as lead_source,
    first_lead.created_date as lead_created_at,
    contact.created_date as contact_created_at,
    first_lead.converted_date,
    first_lead.converted_opportunity_id,
    first_lead.lead_id is not null as is_converted
from contact
left join first_lead
    on first_lead.person_id = contact.contact_id

union all

select
    lead_id as person_id,
    'lead' as person_type,
    lead_id,
    cast(null as {{ dbt.type_string() }}) as contact_id,
    1 as lead_count,
    lower(trim(email)) as email_normalised,
    converted_account_id as account_id,
    first_name,
    last_name,
    title,
    lead_source,
    created_date as lead_created_at,
    cast(null as {{ dbt.type_timestamp() }}) as contact_created_at,
    converted_date,
    converted_opportunity_id,
    coalesce(is_converted, false) as is_converted
from lead_person
where person_id = lead_id

)

select
    person.*,
    source_person.marketo_lead_id,
    source_person.hubspot_contact_id
from person
left join source_person
    on source_person.person_id = person.person_id
