-- Each opportunity's stage entries are numbered 1, 2, ... once each.
select opportunity_id, entry_number, count(*) as rows_
from {{ ref('fct_opportunity_stage_history') }}
group by opportunity_id, entry_number
having count(*) > 1
