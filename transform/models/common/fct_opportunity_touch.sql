{#- The touches that led to each opportunity: one row per (live opportunity, touch of a person
    converted into it) with the touch on or before the opportunity's CloseDate (UTC date of the
    touch). The persons of an opportunity are those of the live leads whose
    ConvertedOpportunityId names it (a lead converted into a loaded contact is that contact:
    see dim_person). touch_number orders an opportunity's touches by time, then touch id
    (binary); is_first_touch / is_last_touch mark the two ends, what first- and last-touch
    attribution credit. -#}
with opportunity as (

    select opportunity_id, close_date from {{ ref('fct_opportunity') }}

),

opportunity_person as (

    select distinct
        opportunity.opportunity_id,
        opportunity.close_date,
        coalesce(contact.contact_id, lead.lead_id) as person_id
    from {{ ref('stg_salesforce__lead') }} as lead
    inner join opportunity
        on opportunity.opportunity_id = lead.converted_opportunity_id
    left join {{ ref('stg_salesforce__contact') }} as contact
        on contact.contact_id = lead.converted_contact_id

),

touch as (

    select
        opportunity_person.opportunity_id,
        opportunity_person.close_date,
        fct_touch.touch_id,
        fct_touch.person_id,
        fct_touch.campaign_id,
        fct_touch.channel,
        fct_touch.touch_at,
        fct_touch.touch_date,
        row_number() over (
            partition by opportunity_person.opportunity_id
            order by fct_touch.touch_at, {{ binary_order('fct_touch.touch_id') }}
        ) as touch_number,
        count(*) over (partition by opportunity_person.opportunity_id) as touch_count
    from opportunity_person
    inner join {{ ref('fct_touch') }} as fct_touch
        on fct_touch.person_id = opportunity_person.person_id
        and fct_touch.touch_date <= opportunity_person.close_date

)

select
    opportunity_id,
    touch_id,
    person_id,
    campaign_id,
    channel,
    touch_at,
    touch_date,
    close_date,
    touch_number,
    touch_count,
    touch_number = 1 as is_first_touch,
    touch_number = touch_count as is_last_touch
from touch
