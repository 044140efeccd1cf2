-- Plugin state (Activated or not), kept across restarts.
CREATE TABLE plugin_states (
    callsign TEXT    PRIMARY KEY,
    active   INTEGER NOT NULL CHECK (active IN (0, 1))
) WITHOUT ROWID;
