-- The weights of one conversion under one model sum to 1 (to 1e-12: a third is stored to
-- numeric's division scale), and no touch is credited twice for one conversion and model.
select conversion_type, conversion_id, model, sum(weight) as total, count(*) as rows_,
    count(distinct touch_id) as touches
from {{ ref('fct_attribution') }}
group by conversion_type, conversion_id, model
having abs(sum(weight) - 1) > 1e-12 or count(*) <> count(distinct touch_id)
