-- The documents are rendered again at the next start in either order.
UPDATE provisions SET document = NULL;
