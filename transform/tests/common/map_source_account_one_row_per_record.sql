-- map_source_account has one row per (source, source record).
select source, source_account_id, count(*) as rows
from {{ ref('map_source_account') }}
group by source, source_account_id
having count(*) > 1
