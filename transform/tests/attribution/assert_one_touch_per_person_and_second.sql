-- The same touch seen by two systems is kept once: one touch per person and second.
select person_id, touch_at, count(*) as touches
from {{ ref('fct_touchpoint') }}
group by person_id, touch_at
having count(*) > 1
