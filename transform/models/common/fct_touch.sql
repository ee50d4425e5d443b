{#- One row per live Salesforce CampaignMember: a touch of a person (lead or contact) by a
    campaign and its channel, at the member's CreatedDate. is_first_touch marks, for each live
    lead, its earliest live member row by CreatedDate, then Id (binary): the touch that first-
    touch attribution credits with the lead. A lead converted into a loaded contact is that
    contact's person (see dim_person). -#}
with member as (

    select * from {{ ref('stg_salesforce__campaign_member') }}

),

lead as (

    select lead_id, converted_contact_id from {{ ref('stg_salesforce__lead') }}

),

contact as (

    select contact_id from {{ ref('stg_salesforce__contact') }}

),

touch as (

    select
        member.campaign_member_id as touch_id,
        case
            when lead.lead_id is not null then coalesce(converted.contact_id, lead.lead_id)
            else member.contact_id
        end as person_id,
        member.lead_id,
        member.contact_id,
        lead.lead_id is not null as is_live_lead,
        member.campaign_id,
        member.status,
        coalesce(member.has_responded, false) as has_responded,
        member.first_responded_date,
        member.created_date as touch_at,
        row_number() over (
            partition by member.lead_id
            order by member.created_date, {{ binary_order('member.campaign_member_id') }}
        ) as lead_touch_number
    from member
    left join lead
        on lead.lead_id = member.lead_id
    left join contact as converted
        on converted.contact_id = lead.converted_contact_id

)

select
    touch.touch_id,
    touch.person_id,
    touch.lead_id,
    touch.contact_id,
    touch.campaign_id,
    dim_campaign.channel,
    touch.status,
    touch.has_responded,
    touch.first_responded_date,
    touch.touch_at,
    cast(touch.touch_at at time zone 'UTC' as date) as touch_date,
    touch.is_live_lead and touch.lead_touch_number = 1 as is_first_touch
from touch
left join {{ ref('dim_campaign') }} as dim_campaign
    on dim_campaign.campaign_id = touch.campaign_id
