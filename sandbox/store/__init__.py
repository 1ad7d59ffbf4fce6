"""Records: SQLAlchemy models, database access, migrations, demo builder, rollups."""
