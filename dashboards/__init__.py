"""Dashboards as code: one YAML file per department (read by ``bizops.dashboard_bundle``) and the
pinned requirements of the Superset venv that ``bizops dashboards up`` installs."""
