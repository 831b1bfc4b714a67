from django.core.management.base import BaseCommand

from conectar.platform.object_storage import ensure_buckets


class Command(BaseCommand):
    help = (
        "With STORAGE_BACKEND=s3: create the missing buckets; the public one readable under the public "
        "prefixes only, the private (KYC) one closed to anything but signed URLs. Idempotent."
    )

    def handle(self, *args, verbosity=1, **options):
        states = ensure_buckets()
        if not states and verbosity:
            self.stdout.write("no S3 storage configured (STORAGE_BACKEND=filesystem): nothing to do")
        for state in states:
            if verbosity:
                access = "public images" if state.public else "private, signed URLs only"
                self.stdout.write(
                    f"bucket {state.bucket} ({state.storage}): {'created' if state.created else 'exists'}, {access}"
                )
