from django.db.backends.postgresql import base

from conectar.platform.db.pooling import IdleCheckedPool


class DatabaseWrapper(IdleCheckedPool, base.DatabaseWrapper):
    pass
