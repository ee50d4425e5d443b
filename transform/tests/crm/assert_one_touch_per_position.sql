-- Each opportunity with touches has exactly one first and one last touch, and no touch twice.
select opportunity_id
from {{ ref('fct_opportunity_touch') }}
group by opportunity_id
having sum(case when is_first_touch then 1 else 0 end) <> 1
    or sum(case when is_last_touch then 1 else 0 end) <> 1
    or count(distinct touch_id) <> count(*)
