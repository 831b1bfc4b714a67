"""The ledger's invariants, enforced by PostgreSQL whatever code (or person with psql) writes.

1. Every ledger transaction balances: its entries sum to zero and there are at least two. Checked
   by DEFERRABLE INITIALLY DEFERRED constraint triggers, i.e. at COMMIT, once all entries are in.
2. Append-only: entries and transactions refuse UPDATE and DELETE. Corrections are reversing
   transactions. (TRUNCATE is a table owner's DDL-level act, kept from the application role by
   grants, not by a trigger; test runs flush tables with it.)
3. Entries can only be added in the database transaction that created their ledger transaction
   (`created_txid`, the top-level transaction id even inside savepoints), so a balanced pair can't
   be slipped into an old, closed transaction.
4. Guarded accounts (escrow, professional payable, refund payable) keep their balance in a column
   the entry trigger maintains: the UPDATE row-locks the account, so concurrent postings to one
   escrow run one after the other, and the CHECK `balance >= 0` refuses the one that would overdraw
   it. Nobody else may change that column, or an account's identity, or delete an account.
"""

from django.db import migrations

FORWARD = r"""
ALTER TABLE payments_ledger_transaction
    ADD COLUMN created_txid xid8 NOT NULL DEFAULT pg_current_xact_id();

-- 1. balanced transactions, at commit -------------------------------------------------------------
CREATE FUNCTION payments_ledger_assert_balanced(txn uuid) RETURNS void AS $$
DECLARE
    total numeric;
    lines integer;
BEGIN
    SELECT coalesce(sum(amount), 0), count(*) INTO total, lines
      FROM payments_ledger_entry WHERE transaction_id = txn;
    IF lines < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: % entries summing to %', txn, lines, total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balanced';
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION payments_ledger_entry_balanced() RETURNS trigger AS $$
BEGIN
    PERFORM payments_ledger_assert_balanced(NEW.transaction_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION payments_ledger_transaction_balanced() RETURNS trigger AS $$
BEGIN
    PERFORM payments_ledger_assert_balanced(NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_entry_balanced
    AFTER INSERT ON payments_ledger_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_entry_balanced();

CREATE CONSTRAINT TRIGGER ledger_transaction_balanced
    AFTER INSERT ON payments_ledger_transaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_transaction_balanced();

-- 2. append-only ----------------------------------------------------------------------------------
CREATE FUNCTION payments_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % is refused; post a reversing transaction', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entry_append_only
    BEFORE UPDATE OR DELETE ON payments_ledger_entry
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_append_only();

CREATE TRIGGER ledger_transaction_append_only
    BEFORE UPDATE OR DELETE ON payments_ledger_transaction
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_append_only();

-- 3 and 4. entries join only their own new transaction; guarded balances follow the entries --------
CREATE FUNCTION payments_ledger_apply_entry() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM payments_ledger_transaction
         WHERE id = NEW.transaction_id AND created_txid = pg_current_xact_id()
    ) THEN
        RAISE EXCEPTION 'entries can only be added to ledger transaction % while it is being created', NEW.transaction_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    UPDATE payments_ledger_account
       SET balance = balance + CASE normal_side WHEN 'debit' THEN NEW.amount ELSE -NEW.amount END
     WHERE id = NEW.account_id AND balance IS NOT NULL;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entry_apply
    AFTER INSERT ON payments_ledger_entry
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_apply_entry();

CREATE FUNCTION payments_ledger_account_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger accounts are permanent' USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.balance IS NOT NULL AND NEW.balance <> 0 THEN
            RAISE EXCEPTION 'a ledger account starts at zero' USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.code IS DISTINCT FROM OLD.code OR NEW.kind IS DISTINCT FROM OLD.kind
       OR NEW.normal_side IS DISTINCT FROM OLD.normal_side OR NEW.trabajo_id IS DISTINCT FROM OLD.trabajo_id
       OR NEW.profesional_id IS DISTINCT FROM OLD.profesional_id THEN
        RAISE EXCEPTION 'a ledger account''s identity never changes' USING ERRCODE = 'restrict_violation';
    END IF;
    -- Depth 1 is a statement from outside; the entry trigger's own UPDATE runs at depth 2.
    IF NEW.balance IS DISTINCT FROM OLD.balance AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'a ledger balance changes only by posting entries' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_account_guard
    BEFORE INSERT OR UPDATE OR DELETE ON payments_ledger_account
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_account_guard();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS ledger_account_guard ON payments_ledger_account;
DROP FUNCTION IF EXISTS payments_ledger_account_guard();
DROP TRIGGER IF EXISTS ledger_entry_apply ON payments_ledger_entry;
DROP FUNCTION IF EXISTS payments_ledger_apply_entry();
DROP TRIGGER IF EXISTS ledger_transaction_append_only ON payments_ledger_transaction;
DROP TRIGGER IF EXISTS ledger_entry_append_only ON payments_ledger_entry;
DROP FUNCTION IF EXISTS payments_ledger_append_only();
DROP TRIGGER IF EXISTS ledger_transaction_balanced ON payments_ledger_transaction;
DROP TRIGGER IF EXISTS ledger_entry_balanced ON payments_ledger_entry;
DROP FUNCTION IF EXISTS payments_ledger_transaction_balanced();
DROP FUNCTION IF EXISTS payments_ledger_entry_balanced();
DROP FUNCTION IF EXISTS payments_ledger_assert_balanced(uuid);
ALTER TABLE payments_ledger_transaction DROP COLUMN IF EXISTS created_txid;
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
