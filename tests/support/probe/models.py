from django.db import models


class ProbeEffect(models.Model):
    """What a probe handler did; lives in every context database (see the probe router)."""

    event_id = models.UUIDField()
    handler = models.CharField(max_length=50)
    label = models.CharField(max_length=200)
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.handler}: {self.label}"


class ProbeItem(models.Model):
    """A row a probe route writes, in the marketplace database, next to the event it publishes."""

    name = models.CharField(max_length=100)
    count = models.IntegerField()

    def __str__(self) -> str:
        return self.name
