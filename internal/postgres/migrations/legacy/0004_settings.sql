-- Facts about the database itself, decided once and read alike by every
-- replica: whether it holds the demo data, for one.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
