{#- Every touch of a person from the three systems that see them, one row per person and
    instant (UTC, to the second): touch_id (sfdc:<member id> / mkto:<activity guid> /
    hubspot:<conversion id>), source, touch_type, channel, campaign_id (Salesforce only).
    - Salesforce: live campaign members of a live campaign (channel: the campaign Type);
      the person of a live lead (its converted contact when loaded), else the live contact.
    - Marketo (stg_marketo__leads: deleted leads out): form fills (channel Direct), web
      visits (the utm_medium of the visit's query parameters, else Direct) and email clicks
      (Email) of a lead resolved by map_person_source; email opens are not touches.
    - HubSpot: form submissions whose email is that of a live HubSpot contact resolved by
      map_person_source (channel: the utm_medium of the page URL, else Direct).
    UTM media map to channels by the var attribution_utm_medium_channels (unknown: Other).
    The same touch seen twice: a person's touches at the same second are one touch, kept from
    the first of Salesforce, Marketo, HubSpot, then the least touch id.
    is_first_touch: the person's first touch; is_lead_creation_touch: the person's last touch
    at or before the creation of its first lead (dim_person.lead_created_at). -#}
with lead_person as (

    select lead.lead_id, coalesce(contact.contact_id, lead.lead_id) as person_id
    from {{ ref('stg_salesforce__lead') }} as lead
    left join {{ ref('stg_salesforce__contact') }} as contact
        on contact.contact_id = lead.converted_contact_id

),

salesforce as (

    select
        'sfdc:' || member.campaign_member_id as touch_id,
        coalesce(lead_person.person_id, contact.contact_id) as person_id,
        'salesforce' as source,
        0 as source_rank,
        'campaign_member' as touch_type,
        campaign.channel,
        member.campaign_id,
        member.created_date as touch_at
    from {{ ref('stg_salesforce__campaign_member') }} as member
    inner join {{ ref('dim_campaign') }} as campaign
        on campaign.campaign_id = member.campaign_id
    left join lead_person
        on lead_person.lead_id = member.lead_id
    left join {{ ref('stg_salesforce__contact') }} as contact
        on contact.contact_id = member.contact_id

),

marketo as (

    select
        'mkto:' || activity.activity_id as touch_id,
        map.person_id,
        'marketo' as source,
        1 as source_rank,
        case activity.activity_type_id
            when 1 then 'web_visit' when 2 then 'form_fill' when 11 then 'email_click'
        end as touch_type,
        case activity.activity_type_id
            when 1 then {{ utm_medium_channel(
                "substring(activity.attributes ->> 'Query Parameters'"
                ~ " from '(?:^|&)utm_medium=([^&]*)')") }}
            when 2 then 'Direct'
            else 'Email'
        end as channel,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        activity.activity_at as touch_at
    from {{ ref('stg_marketo__activities') }} as activity
    inner join {{ ref('stg_marketo__leads') }} as lead
        on lead.lead_id = activity.lead_id
    inner join {{ ref('map_person_source') }} as map
        on map.source = 'marketo'
        and map.source_person_id = activity.lead_id
    where activity.activity_type_id in (1, 2, 11)

),

hubspot_contact as (

    select lower(trim(contact.email)) as email_normalised, map.person_id
    from {{ ref('stg_hubspot__contacts') }} as contact
    inner join {{ ref('map_person_source') }} as map
        on map.source = 'hubspot'
        and map.source_person_id = contact.contact_id

),

hubspot as (

    select
        'hubspot:' || submission.conversion_id as touch_id,
        hubspot_contact.person_id,
        'hubspot' as source,
        2 as source_rank,
        'form_fill' as touch_type,
        {{ utm_medium_channel('submission.utm_medium') }} as channel,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        submission.submitted_at as touch_at
    from {{ ref('stg_hubspot__form_submissions') }} as submission
    inner join hubspot_contact
        on hubspot_contact.email_normalised = lower(trim(submission.email))

),

every_touch as (

    select *, date_trunc('second', touch_at) as touch_second from salesforce
    where person_id is not null
    union all
    select *, date_trunc('second', touch_at) from marketo
    where person_id is not null
    union all
    select *, date_trunc('second', touch_at) from hubspot
    where person_id is not null

),

kept as (

    select
        *,
        row_number() over (
            partition by person_id, touch_second
            order by source_rank, {{ binary_order('touch_id') }}
        ) as copy_number
    from every_touch

),

touch as (

    select kept.*, person.lead_created_at
    from kept
    left join {{ ref('dim_person') }} as person
        on person.person_id = kept.person_id
    where kept.copy_number = 1

),

numbered as (

    select
        touch.*,
        row_number() over (
            partition by person_id order by touch_second, {{ binary_order('touch_id') }}
        ) as touch_number,
        row_number() over (
            partition by person_id,
                lead_created_at is not null
                and touch_second <= date_trunc('second', lead_created_at)
            order by touch_second desc, {{ binary_order('touch_id') }} desc
        ) as back_number
    from touch

)

select
    touch_id,
    person_id,
    source,
    touch_type,
    channel,
    campaign_id,
    touch_second as touch_at,
    cast(touch_second at time zone 'UTC' as date) as touch_date,
    touch_number = 1 as is_first_touch,
    coalesce(
        lead_created_at is not null
        and touch_second <= date_trunc('second', lead_created_at)
        and back_number = 1,
        false
    ) as is_lead_creation_touch
from numbered
