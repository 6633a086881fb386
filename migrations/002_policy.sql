-- Default permissions per role. Administrators change them on /admin/roles; this is the starting point.
INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'admin', '*', '*'),
    ('g', 'support_lead', 'support_agent', ''),
    ('p', 'support_agent', 'dashboard', 'read'),
    ('p', 'support_agent', 'accounts', 'read'),
    ('p', 'support_lead', 'accounts', 'edit'),
    ('p', 'finance', 'dashboard', 'read'),
    ('p', 'finance', 'accounts', 'read'),
    ('p', 'editor', 'dashboard', 'read');
