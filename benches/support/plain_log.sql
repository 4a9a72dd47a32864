-- The plain log the benches' hand-written loops write: names as text in every row and in its
-- indexes, and AUTOINCREMENT ids, as a first SQLite design would have it (camp's own store
-- interns the names; the loops write the same information).
DROP TABLE activities;
CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, person INTEGER NOT NULL,
    email TEXT, campaign TEXT, step TEXT, type TEXT NOT NULL, primary_value TEXT,
    attributes TEXT NOT NULL, result TEXT NOT NULL, reason TEXT, depth INTEGER NOT NULL
);
CREATE INDEX activities_history ON activities (person, type, primary_value, at);
CREATE INDEX activities_campaign ON activities (campaign);
