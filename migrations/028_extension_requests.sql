-- Annex E (issue 14, item 15): an agent asks for the one extension with a reason; a lead grants or
-- refuses it (the grant is the extension itself). One open request per complaint.
CREATE TABLE complaint_extension_requests (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    complaint_id  bigint NOT NULL REFERENCES complaints (id),
    days          integer NOT NULL CHECK (days BETWEEN 1 AND 15),
    reason        text NOT NULL CHECK (btrim(reason) <> ''),
    state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'granted', 'refused')),
    requested_by  bigint NOT NULL REFERENCES staff (id),
    requested_at  timestamptz NOT NULL,
    decided_by    bigint REFERENCES staff (id),
    decided_at    timestamptz,
    refuse_reason text,
    CHECK ((state = 'pending') = (decided_at IS NULL))
);
CREATE UNIQUE INDEX complaint_extension_requests_open_idx ON complaint_extension_requests (complaint_id) WHERE state = 'pending';
CREATE INDEX complaint_extension_requests_pending_idx ON complaint_extension_requests (id) WHERE state = 'pending';
