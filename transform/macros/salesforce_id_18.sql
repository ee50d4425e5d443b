{#- The 18-character, case-insensitive form of a Salesforce id given in `column`.
    An 18-character id stays as is; a 15-character id gets Salesforce's checksum: for each of
    its three 5-character chunks, a 5-bit number whose bit i is set when character i is an
    upper-case letter, written as one character of A…Z0…5. Anything else (null, another
    length) stays as is, so no value is silently altered. A character is upper case when it
    differs from its lower-case form (digits do not), which holds under every collation. -#}
{% macro salesforce_id_18(column) -%}
    case
        when {{ dbt.length(column) }} = 15 then {{ column }}
            {%- for chunk in range(3) %}
            || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ012345', 1
                {%- for i in range(5) %}
                + case
                    when substr({{ column }}, {{ chunk * 5 + i + 1 }}, 1)
                        <> lower(substr({{ column }}, {{ chunk * 5 + i + 1 }}, 1))
                    then {{ 2 ** i }} else 0
                end
                {%- endfor %}, 1)
            {%- endfor %}
        else {{ column }}
    end
{%- endmacro %}
