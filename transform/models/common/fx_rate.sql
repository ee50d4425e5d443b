{#- The fixed exchange rates to the reporting currency (USD), one row per currency. The world
    (and so far every source) carries no rates; these are the sandbox oracle's FX_TO_USD. A
    currency missing here leaves amount_usd null, which fct_invoice_payment's not_null test
    reports instead of a silently wrong total. -#}
select cast('USD' as {{ dbt.type_string() }}) as currency, cast(1.00 as {{ dbt.type_numeric() }}) as usd_rate
union all
select 'EUR', 1.10
union all
select 'GBP', 1.25
