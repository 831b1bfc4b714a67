from django.contrib.gis.db.backends.postgis import base

from conectar.platform.db.pooling import IdleCheckedPool


class DatabaseWrapper(IdleCheckedPool, base.DatabaseWrapper):
    pass
