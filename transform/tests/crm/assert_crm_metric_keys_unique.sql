-- One value per metric, grain, period and breakdown member in the sales and marketing marts.
{%- for name in ['metric_values__sales', 'metric_values__sales_stages', 'metric_values__marketing',
                 'metric_values__funnel'] %}
select '{{ name }}' as model, metric, grain, period_label, dimension, member, count(*) as rows_
from {{ ref(name) }}
group by metric, grain, period_label, dimension, member
having count(*) > 1
{% if not loop.last %}union all{% endif %}
{%- endfor %}
