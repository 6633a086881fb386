-- Files sent with an e-mail notice (the complaint decision letter, ...): a list of
-- {"source", "id", "name", "content_type"}, each read from its owning desk's table when the
-- notice is sent, so the outbox keeps a reference and never a second copy of the bytes.
ALTER TABLE notifications ADD COLUMN attachments jsonb NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(attachments) = 'array' AND jsonb_array_length(attachments) <= 10);
