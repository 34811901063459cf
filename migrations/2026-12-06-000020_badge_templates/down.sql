ALTER TABLE badges DROP COLUMN template_version, DROP COLUMN template_code;
ALTER TABLE categories DROP COLUMN badge_template;
DROP TABLE badge_templates;
DROP FUNCTION badge_templates_published_stay();
