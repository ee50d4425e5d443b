with source as (

    select * from {{ source('zuora', 'account') }}
    where _sdc_deleted_at is null

)

select
        id as account_id,
        accountnumber as account_number,
        name,
        status,
        currency,
        crmid as crm_id,
        -- the Salesforce Account Id it names, in the 18-character form (15-character ids get
        -- their case-safe checksum suffix), so it joins stg_salesforce__account.account_id
        {{ salesforce_id_18('crmid') }} as crm_account_id,
        balance,
        creditbalance as credit_balance,
        totalinvoicebalance as total_invoice_balance,
        billcycleday as bill_cycle_day,
        paymentterm as payment_term,
        autopay as auto_pay,
        batch,
        billtoid as bill_to_id,
        soldtoid as sold_to_id,
        salesrepname as sales_rep_name,
        lastinvoicedate as last_invoice_date,
        sequencesetid as sequence_set_id,
        createdbyid as created_by_id,
        createddate as created_date,
        updatedbyid as updated_by_id,
        updateddate as updated_date
from source
