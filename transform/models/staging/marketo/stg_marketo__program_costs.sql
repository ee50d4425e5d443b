-- One row per period cost of a Marketo program (its costs[] array): the cost's start date
-- and amount, as Marketo records them (a cost of 0 is kept).
select
        programs.program_id,
        programs.channel,
        cast(cost ->> 'startDate' as date) as cost_start_date,
        cast(cost ->> 'cost' as numeric) as cost_usd,
        cost ->> 'note' as note
from {{ ref('stg_marketo__programs') }} as programs
cross join lateral jsonb_array_elements(coalesce(programs.costs, '[]'::jsonb)) as cost
