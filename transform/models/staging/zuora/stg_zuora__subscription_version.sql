{#- Every version of every Zuora subscription (live rows, soft-deleted out), snake_case. A
    renewal makes a new version and expires the old one, so a subscription's earlier terms
    live on only in its earlier versions, which stg_zuora__subscription (the latest version
    per name) leaves out; fct_subscription_term reads them here. -#}
select
    id as subscription_id,
    name,
    status,
    termtype as term_type,
    termstartdate as term_start_date,
    termenddate as term_end_date,
    version,
    islatestversion as is_latest_version
from {{ source('zuora', 'subscription') }}
where _sdc_deleted_at is null
    and name is not null
