{#- Multi-touch attribution: one row per (touch, conversion, model) with a weight (metrics.md
    1.7). Conversions:
    - lead_created (conversion_id = person_id, value 1): a person with a live lead, at the
      creation of its first lead (dim_person.lead_created_at); touches: the person's touches
      (fct_touchpoint) up to that second.
    - opportunity_won (value: its IACV, fct_opportunity.iacv): a live closed-won New Business /
      Upsell opportunity, on its close_date; touches: those of the persons of the live leads
      converted into it, with a touch_date up to the close_date.
    Touches of a conversion are numbered by time, then touch id (binary). Milestones: FT the
    first; LC the last at or before the lead creation (the earliest first-lead creation of
    the conversion's persons); OC the last at or before the opportunity's CreatedDate.
    Models: first_touch, last_touch, lead_creation (1 on LC; none without one), linear (1/n),
    u_shaped (0.4 on FT and on LC), w_shaped (0.3 on FT, LC and OC): coinciding milestones
    merge their shares; the rest (1 - the present milestones' shares) is split equally over
    the other touches, or over the milestone touches when there are no others. -#}
with lead_person as (

    select lead.lead_id, lead.converted_opportunity_id,
        coalesce(contact.contact_id, lead.lead_id) as person_id
    from {{ ref('stg_salesforce__lead') }} as lead
    left join {{ ref('stg_salesforce__contact') }} as contact
        on contact.contact_id = lead.converted_contact_id

),

opportunity_person as (

    select distinct
        opportunity.opportunity_id,
        lead_person.person_id,
        opportunity.close_date,
        opportunity.created_at as created_date,
        opportunity.iacv,
        opportunity.opportunity_type = 'New Business' as is_new_customer
    from {{ ref('fct_opportunity') }} as opportunity
    inner join lead_person
        on lead_person.converted_opportunity_id = opportunity.opportunity_id
    where opportunity.is_booking and opportunity.is_closed

),

opportunity_lead as (

    select opportunity_person.opportunity_id, min(person.lead_created_at) as lead_created_at
    from opportunity_person
    inner join {{ ref('dim_person') }} as person
        on person.person_id = opportunity_person.person_id
    group by opportunity_person.opportunity_id

),

path as (

    select
        'lead_created' as conversion_type,
        person.person_id as conversion_id,
        cast(person.lead_created_at at time zone 'UTC' as date) as conversion_date,
        cast(1 as {{ dbt.type_numeric() }}) as conversion_value,
        false as is_new_customer,
        date_trunc('second', person.lead_created_at) as lead_created_at,
        cast(null as {{ dbt.type_timestamp() }}) as opportunity_created_at,
        touch.touch_id,
        touch.person_id,
        touch.channel,
        touch.touch_at
    from {{ ref('dim_person') }} as person
    inner join {{ ref('fct_touchpoint') }} as touch
        on touch.person_id = person.person_id
        and touch.touch_at <= date_trunc('second', person.lead_created_at)
    where person.lead_created_at is not null

    union all

    select
        'opportunity_won',
        opportunity_person.opportunity_id,
        opportunity_person.close_date,
        opportunity_person.iacv,
        opportunity_person.is_new_customer,
        date_trunc('second', opportunity_lead.lead_created_at),
        date_trunc('second', opportunity_person.created_date),
        touch.touch_id,
        touch.person_id,
        touch.channel,
        touch.touch_at
    from opportunity_person
    inner join opportunity_lead
        on opportunity_lead.opportunity_id = opportunity_person.opportunity_id
    inner join {{ ref('fct_touchpoint') }} as touch
        on touch.person_id = opportunity_person.person_id
        and touch.touch_date <= opportunity_person.close_date

),

numbered as (

    select
        path.*,
        row_number() over (
            partition by conversion_type, conversion_id
            order by touch_at, {{ binary_order('touch_id') }}
        ) as position,
        count(*) over (partition by conversion_type, conversion_id) as touch_count
    from path

),

marked as (

    select
        numbered.*,
        max(case when touch_at <= lead_created_at then position end)
            over (partition by conversion_type, conversion_id) as lc,
        max(case when touch_at <= opportunity_created_at then position end)
            over (partition by conversion_type, conversion_id) as oc
    from numbered

),

shares as (

    select
        marked.*,
        0.4 * (case when position = 1 then 1 else 0 end)
            + 0.4 * (case when position = lc then 1 else 0 end) as u_share,
        0.4 + 0.4 * (case when lc is not null then 1 else 0 end) as u_present,
        1 + (case when lc <> 1 then 1 else 0 end) as u_milestones,
        position = 1 or position = lc as u_is_milestone,
        0.3 * (case when position = 1 then 1 else 0 end)
            + 0.3 * (case when position = lc then 1 else 0 end)
            + 0.3 * (case when position = oc then 1 else 0 end) as w_share,
        0.3 + 0.3 * (case when lc is not null then 1 else 0 end)
            + 0.3 * (case when oc is not null then 1 else 0 end) as w_present,
        1 + (case when lc <> 1 then 1 else 0 end)
            + (case when oc <> 1 and oc is distinct from lc then 1 else 0 end) as w_milestones,
        position = 1 or position = lc or position = oc as w_is_milestone
    from marked

),

weighted as (

    select shares.*, 'first_touch' as model,
        cast(case when position = 1 then 1 else 0 end as numeric) as weight
    from shares
    union all
    select shares.*, 'last_touch',
        case when position = touch_count then 1 else 0 end
    from shares
    union all
    select shares.*, 'lead_creation',
        case when position = lc then 1 else 0 end
    from shares
    union all
    select shares.*, 'linear',
        cast(1 as numeric) / touch_count
    from shares
{%- for model, prefix in [('u_shaped', 'u'), ('w_shaped', 'w')] %}
    union all
    select shares.*, '{{ model }}',
        {{ prefix }}_share + case
            when touch_count > {{ prefix }}_milestones then
                case when coalesce({{ prefix }}_is_milestone, false) then 0
                    else (1 - {{ prefix }}_present) / (touch_count - {{ prefix }}_milestones)
                end
            else (1 - {{ prefix }}_present) / {{ prefix }}_milestones
        end
    from shares
{%- endfor %}

)

select
    touch_id,
    person_id,
    channel,
    touch_at,
    conversion_type,
    conversion_id,
    conversion_date,
    is_new_customer,
    model,
    position as touch_position,
    touch_count,
    weight,
    case when conversion_type = 'lead_created' then weight end as credited_count,
    case when conversion_type = 'opportunity_won' then weight * conversion_value end
        as credited_iacv_usd
from weighted
where weight > 0
