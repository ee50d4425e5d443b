"""The commented starter bizops.yml that ``bizops init`` writes."""

STARTER = """\
# bizops.yml — written by `bizops init`. Check it with `bizops config <pipeline>`.
version: 1

# This project's identity in the warehouse: its state, run history and locks belong to it, so
# projects sharing a warehouse never share bookmarks. Keep it (and commit it) with the project.
project_id: __PROJECT_ID__

# The warehouse: a PostgreSQL URL. Leave it out to use $BIZOPS_DATABASE_URL, or else an
# embedded PostgreSQL under .bizops/pg.
# warehouse:
#   database_url: postgresql://bizops:${WAREHOUSE_PASSWORD}@db.example.com:5432/analytics

# Taps and targets: a first-party one by name (tap-zuora, tap-salesforce, target-postgres), any
# Singer executable by `command`, optionally installed from `pip_url` into .bizops/venvs/<name>.
# Secrets are only ever ${ENV_VAR} references: a literal under a key such as *secret*,
# *password*, *token* or *api_key* is refused.
taps:
  tap-zuora:
    config:
      base_url: https://rest.zuora.com
      client_id: ${ZUORA_CLIENT_ID}
      client_secret: ${ZUORA_CLIENT_SECRET}
      start_date: "2024-01-01T00:00:00Z"
  # tap-github:
  #   pip_url: meltanolabs-tap-github==1.2.3
  #   config:
  #     auth_token: ${GITHUB_TOKEN}

targets:
  target-postgres:
    config:
      default_target_schema: zuora

# Pipelines: one tap into one target. `schedule` is a cron expression run by `bizops cron`
# (call it every minute from cron; see `bizops schedule crontab`).
pipelines:
  - name: zuora-to-postgres
    tap: tap-zuora
    target: target-postgres
    schedule: "0 * * * *"
    # config: {start_date: "2023-01-01T00:00:00Z"}   # overrides of the tap's config
    # target_config: {default_target_schema: billing}  # overrides of the target's config
    # select: [Account, "Invoice.*", "!Invoice.Comments"]   # streams and fields
    # full_refresh_streams: [Product]                  # always synced from start_date
"""
