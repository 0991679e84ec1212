"""Abstract building blocks shared by every domain model (no domain models live here)."""

from django.db import models


class BaseModel(models.Model):
    """Adds creation and last-change timestamps; every concrete model inherits from it."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
