from django.db import migrations

# After any insert into the outbox, tell listeners (conectar.platform.eventbus.listener) that this
# database has news. NOTIFY is delivered only on commit and deduplicated per transaction.
CREATE = """
CREATE OR REPLACE FUNCTION eventbus_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('eventbus_outbox', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER eventbus_outbox_notify
AFTER INSERT ON eventbus_outboxevent
FOR EACH STATEMENT EXECUTE FUNCTION eventbus_outbox_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS eventbus_outbox_notify ON eventbus_outboxevent;
DROP FUNCTION IF EXISTS eventbus_outbox_notify();
"""


class Migration(migrations.Migration):
    dependencies = [("eventbus", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
