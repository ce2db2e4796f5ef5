-- Every change to programs or tills bumps one counter, so each gateway polls a single row and reloads the
-- programs and till keys only when something changed (a chain has tens of thousands of tills).
CREATE TABLE config_version (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    version  bigint  NOT NULL
);
INSERT INTO config_version (id, version) VALUES (true, 0);

CREATE FUNCTION bump_config_version() RETURNS trigger AS $$
BEGIN
  UPDATE config_version SET version = version + 1;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER programs_changed AFTER INSERT OR UPDATE OR DELETE ON programs
  FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER tills_changed AFTER INSERT OR UPDATE OR DELETE ON tills
  FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
