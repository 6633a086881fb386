-- Failed API authentications per client address (admin/api): after too many in a window every
-- request from the address is refused until the window ends, so keys cannot be guessed at speed.
-- Kept in PostgreSQL so that every web process shares the count.
CREATE TABLE api_auth_failures (
    address      text PRIMARY KEY,
    failures     integer NOT NULL,
    window_start timestamptz NOT NULL
);
