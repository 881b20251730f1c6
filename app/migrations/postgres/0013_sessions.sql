-- Sign in with GitHub: the state of each sign-in under way (single use, expires in 10 minutes) and the sessions
-- it starts. Both are kept server-side, by the SHA-256 of the random value the browser holds, so a logout or an
-- expiry is real and a database dump holds no usable cookie.
CREATE TABLE oauth_states (
    state_hash TEXT PRIMARY KEY,              -- sha256 hex of the `state` sent to GitHub
    verifier   TEXT NOT NULL,                 -- the PKCE code verifier
    next_path  TEXT NOT NULL,                 -- where to go once signed in (a local path)
    expires_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,            -- sha256 hex of the cookie value
    login        TEXT NOT NULL,               -- the GitHub login signed in (lowercase)
    created_at   BIGINT NOT NULL,                 -- absolute expiry counts from here
    last_seen_at BIGINT NOT NULL                  -- idle expiry counts from here
);
CREATE INDEX sessions_login ON sessions (login);
