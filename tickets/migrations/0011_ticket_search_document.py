"""A search document per ticket: the full-text vector (Portuguese) of its messages' text, kept
by the database itself, so that "tickets whose messages contain X" is one GIN lookup on tickets
instead of reading every matching message (a common word is in a quarter of all messages).

The per-message text index (``message_body_fts``) goes: nothing else searched with it.

The column is not a model field: no query of the app ever loads it (lists and panels would carry
every ticket's whole vector); only the inbox search filters on it (tickets/selectors/tickets.py).

Kept by triggers on ``tickets_message``, whatever writes there (one message or a batch, an edit, a
soft or hard delete, an erasure):
- after INSERT, per statement: each ticket's vector gets its new messages' text appended;
- after UPDATE of the text, the soft delete or the ticket, per row and only when one of them
  changed (delivery ticks, the most frequent update, do not fire it): the ticket's vector is
  rebuilt from its messages, and the old ticket's too when the message moved;
- after DELETE, per row: the same rebuild.
The functions live in the public schema (one copy; table names resolve through the tenant's
``search_path`` at run time); the triggers are in each tenant schema.
"""

from django.db import migrations, models

# Tenant schemas may be migrated side by side: replacing the shared functions is serialised.
FUNCTIONS = r"""
SELECT pg_advisory_xact_lock(hashtext('tickets_search_document_functions'));

CREATE OR REPLACE FUNCTION public.tickets_search_document_of(ticket bigint) RETURNS tsvector
LANGUAGE sql STABLE AS $$
  SELECT to_tsvector('portuguese'::regconfig, coalesce(string_agg(m.body, ' ' ORDER BY m.id), ''))
  FROM tickets_message m
  WHERE m.ticket_id = ticket AND m.deleted_at IS NULL AND m.body <> ''
$$;

CREATE OR REPLACE FUNCTION public.tickets_search_document_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE tickets_ticket t
  SET search_document = coalesce(t.search_document, ''::tsvector) || added.document
  FROM (
    SELECT ticket_id,
           to_tsvector('portuguese'::regconfig, string_agg(body, ' ' ORDER BY id)) AS document
    FROM inserted
    WHERE deleted_at IS NULL AND body <> ''
    GROUP BY ticket_id
  ) added
  WHERE t.id = added.ticket_id;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION public.tickets_search_document_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.ticket_id IS DISTINCT FROM NEW.ticket_id THEN
    UPDATE tickets_ticket SET search_document = public.tickets_search_document_of(OLD.ticket_id)
    WHERE id = OLD.ticket_id;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    UPDATE tickets_ticket SET search_document = public.tickets_search_document_of(NEW.ticket_id)
    WHERE id = NEW.ticket_id;
  END IF;
  RETURN NULL;
END $$;
"""

FORWARD = (
    FUNCTIONS
    + r"""
ALTER TABLE tickets_ticket ADD COLUMN search_document tsvector;
UPDATE tickets_ticket t SET search_document = public.tickets_search_document_of(t.id)
WHERE EXISTS (SELECT 1 FROM tickets_message m WHERE m.ticket_id = t.id);
CREATE INDEX ticket_search_document ON tickets_ticket USING gin (search_document);

CREATE TRIGGER message_search_document_inserted
AFTER INSERT ON tickets_message REFERENCING NEW TABLE AS inserted
FOR EACH STATEMENT EXECUTE FUNCTION public.tickets_search_document_inserted();

CREATE TRIGGER message_search_document_changed
AFTER UPDATE OF body, deleted_at, ticket_id ON tickets_message
FOR EACH ROW WHEN (
  OLD.body IS DISTINCT FROM NEW.body
  OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
  OR OLD.ticket_id IS DISTINCT FROM NEW.ticket_id
)
EXECUTE FUNCTION public.tickets_search_document_changed();

CREATE TRIGGER message_search_document_deleted
AFTER DELETE ON tickets_message
FOR EACH ROW EXECUTE FUNCTION public.tickets_search_document_changed();
"""
)

BACKWARD = r"""
DROP TRIGGER IF EXISTS message_search_document_deleted ON tickets_message;
DROP TRIGGER IF EXISTS message_search_document_changed ON tickets_message;
DROP TRIGGER IF EXISTS message_search_document_inserted ON tickets_message;
DROP INDEX IF EXISTS ticket_search_document;
ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search_document;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0010_message_customer_copy"),
    ]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        # The per-message text index served only the inbox search, which now reads the tickets'
        # documents; one GIN index fewer to write per message.
        migrations.RemoveIndex(model_name="message", name="message_body_fts"),
        # The all-statuses list in inbox order (a common word's search walks it and stops at a
        # page of matches).
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["-last_message_at", "-id"],
                name="ticket_inbox_all_idx",
            ),
        ),
    ]
