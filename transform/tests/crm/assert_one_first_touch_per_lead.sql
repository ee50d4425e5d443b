-- Every live lead has at most one first touch, and only leads' touches are flagged.
select lead_id, count(*) as first_touches
from {{ ref('fct_touch') }}
where is_first_touch
group by lead_id
having count(*) > 1 or lead_id is null
