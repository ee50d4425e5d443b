{#- Planner statistics. A table the build writes has none until autovacuum comes round, nor
    has a raw table right after a big load; the planner then guesses row counts and value
    spread, and a guess of a few rows where there are thousands plans nested loops that take
    minutes. So every table model is ANALYZEd once written (post-hook), and a run first
    ANALYZEs the source tables whose statistics are missing or stale by autovacuum's own
    measure (50 rows + 10 % changed since the last analyze), when it builds (dbt build or run;
    bizops check only reads). PostgreSQL only; elsewhere no-ops. -#}

{% macro analyze_if_table() %}
    {%- if target.type == 'postgres' and config.get('materialized') in ('table', 'incremental') -%}
        analyze {{ this }}
    {%- endif -%}
{% endmacro %}

{% macro analyze_stale_sources() %}
    {%- if execute and target.type == 'postgres' and flags.WHICH in ('build', 'run') -%}
        {%- set tables = [] -%}
        {%- for node in graph.sources.values() -%}
            {%- do tables.append(node.schema ~ '.' ~ node.identifier) -%}
        {%- endfor -%}
        {%- if tables -%}
            {%- set query -%}
                select quote_ident(schemaname) || '.' || quote_ident(relname)
                from pg_stat_user_tables
                where schemaname || '.' || relname in ('{{ tables | join("', '") }}')
                    and (coalesce(last_analyze, last_autoanalyze) is null
                        or n_mod_since_analyze > 50 + 0.1 * n_live_tup)
                order by 1
            {%- endset -%}
            {%- set stale = run_query(query).columns[0].values() -%}
            {%- for relation in stale %}
                analyze {{ relation }};
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
