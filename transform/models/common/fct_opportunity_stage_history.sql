{#- One row per stage an opportunity entered (Salesforce OpportunityHistory rows of live
    opportunities), in order: when it entered (entered_at, UTC entered_date), when it left
    (the next row's entry; null while it is still there), and the whole days between the two
    UTC dates. Rows of one opportunity are ordered by CreatedDate, then Id (binary). -#}
with history as (

    select history.*
    from {{ ref('stg_salesforce__opportunity_history') }} as history
    inner join {{ ref('stg_salesforce__opportunity') }} as opportunity
        on opportunity.opportunity_id = history.opportunity_id

),

ordered as (

    select
        opportunity_history_id,
        opportunity_id,
        stage_name,
        amount,
        close_date,
        created_date as entered_at,
        row_number() over (
            partition by opportunity_id
            order by created_date, {{ binary_order('opportunity_history_id') }}
        ) as entry_number,
        lead(created_date) over (
            partition by opportunity_id
            order by created_date, {{ binary_order('opportunity_history_id') }}
        ) as exited_at
    from history

)

select
    opportunity_history_id,
    opportunity_id,
    entry_number,
    stage_name,
    amount,
    close_date,
    entered_at,
    cast(entered_at at time zone 'UTC' as date) as entered_date,
    exited_at,
    cast(exited_at at time zone 'UTC' as date) as exited_date,
    case
        when exited_at is not null then {{ dbt.datediff(
            "cast(entered_at at time zone 'UTC' as date)",
            "cast(exited_at at time zone 'UTC' as date)", 'day') }}
    end as days_in_stage
from ordered
