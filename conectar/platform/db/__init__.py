"""The project's PostgreSQL backends: Django's own (plain and PostGIS) with one change to pooling,
`IdleCheckedPool`. ENGINE names them in `conectar.platform.databases.database_settings`."""
