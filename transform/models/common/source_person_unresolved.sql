{#- The Marketo leads and HubSpot contacts that resolve to no person (person_id null in
    map_person_source: no live Salesforce contact or lead id, and an email that names no single
    person): marketing touches that reach no CRM person. bizops check counts them per source
    (tests <source>_person_unresolved_is_empty). A view, so the check sees the tables as they
    are now. -#}
{{ config(materialized='view') }}
select
    source,
    source_person_id
from {{ ref('map_person_source') }}
where person_id is null
