ALTER TABLE provisions DROP COLUMN document;
