-- The JSON representation of each provision as the API serves it, written with every change
-- through the API so the search index can be built without rendering 100,000 documents.
-- NULL means "not rendered yet": the index renders those rows itself (docs/decisions.md).
ALTER TABLE provisions ADD COLUMN document TEXT;
