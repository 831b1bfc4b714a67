import weakref

from django.contrib.gis.db.backends.postgis import base

from conectar.platform.db.pooling import IdleCheckedPool

# psycopg connections whose PostGIS adapters are registered. With the pool, Django "connects" once
# per request (a checkout), and GeoDjango registered the geometry types on the same connection
# every time: ~6 % of the search route's CPU. The adapters live as long as the connection does.
_REGISTERED: weakref.WeakSet = weakref.WeakSet()


class DatabaseWrapper(IdleCheckedPool, base.DatabaseWrapper):
    def register_geometry_adapters(self, pg_connection, clear_caches=False):
        if clear_caches or pg_connection not in _REGISTERED:
            super().register_geometry_adapters(pg_connection, clear_caches)
            _REGISTERED.add(pg_connection)
