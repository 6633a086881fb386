-- Group names per language (issue 14, item 5): a group keeps the name it was created with (unique,
-- what logs and audits show) and may carry its name in each UI language; pages show the viewer's,
-- falling back to the original. The demo's groups get theirs from the seed.
ALTER TABLE staff_groups ADD COLUMN names jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(names) = 'object');
