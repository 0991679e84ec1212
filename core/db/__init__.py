"""The project's database backend (``core.db.postgresql``)."""
