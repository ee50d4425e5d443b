{#- Reconciliations of the finance model with the raw data (bizops check runs them; they are
    generic tests so they ship with the macros). Each returns one row per discrepancy. -#}

{#- Every live raw Zuora invoice is in `model` (fct_invoice_payment) once, with the same
    amount and status, and nothing else is: raw and modelled invoice totals agree. -#}
{% test reconciles_with_raw_invoices(model) %}
with raw_invoice as (

    select id as invoice_id, amount, status
    from {{ source('zuora', 'invoice') }}
    where _sdc_deleted_at is null

),

modelled as (

    select invoice_id, amount, invoice_status as status, count(*) as rows_first
    from {{ model }}
    where application_number = 1
    group by invoice_id, amount, invoice_status

)

select
    coalesce(raw_invoice.invoice_id, modelled.invoice_id) as invoice_id,
    raw_invoice.amount as raw_amount,
    modelled.amount as modelled_amount,
    raw_invoice.status as raw_status,
    modelled.status as modelled_status
from raw_invoice
full outer join modelled
    on modelled.invoice_id = raw_invoice.invoice_id
where raw_invoice.invoice_id is null
    or modelled.invoice_id is null
    or raw_invoice.amount <> modelled.amount
    or raw_invoice.status <> modelled.status
    or modelled.rows_first <> 1
{% endtest %}

{#- Every Zuora account (`accounts`: stg_zuora__account) whose CrmId names no loaded
    Salesforce account is listed in `model` (zuora_account_orphan). -#}
{% test lists_every_unresolved_crm_id(model, accounts) %}
select
    zuora_account.account_id as zuora_account_id,
    zuora_account.crm_id
from {{ accounts }} as zuora_account
left join {{ ref('stg_salesforce__account') }} as salesforce_account
    on salesforce_account.account_id = zuora_account.crm_account_id
left join {{ model }} as orphan
    on orphan.zuora_account_id = zuora_account.account_id
where zuora_account.crm_id is not null
    and salesforce_account.account_id is null
    and orphan.zuora_account_id is null
{% endtest %}

{#- `model` has no rows (e.g. zuora_account_orphan: every row is a finding). -#}
{% test is_empty(model) %}
select * from {{ model }}
{% endtest %}
