{#- One row per currency with its fixed rate to the reporting currency (USD), from
    var('fx_to_usd'): the sandbox world has no exchange rates, so the rates are a setting (the
    oracle's FX_TO_USD are the same). Rates are given as strings so they stay exact. Its
    tests are in _common__models.yml. -#}
{%- set rates = var('fx_to_usd') -%}
{%- if rates is not mapping or not rates -%}
    {{ exceptions.raise_compiler_error("var fx_to_usd must map currency codes to rates, got " ~ rates) }}
{%- endif -%}
{%- for currency, rate in rates | dictsort %}
{%- if currency | length != 3 or not currency.isalpha() -%}
    {{ exceptions.raise_compiler_error("var fx_to_usd: " ~ currency ~ " is not a 3-letter currency code") }}
{%- endif -%}
{%- if not (rate | string | replace('.', '', 1)).isdigit() -%}
    {{ exceptions.raise_compiler_error("var fx_to_usd: the rate of " ~ currency ~ " must be a positive decimal number, got " ~ rate) }}
{%- endif %}
select
    cast('{{ currency | upper }}' as {{ dbt.type_string() }}) as currency,
    cast('{{ rate }}' as {{ dbt.type_numeric() }}) as usd_rate
{% if not loop.last %}union all{% endif %}
{%- endfor %}
