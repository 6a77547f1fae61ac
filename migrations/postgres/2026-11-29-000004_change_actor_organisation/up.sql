-- The organisation in the token of whoever made a change (provider editors act for one).
ALTER TABLE changes ADD COLUMN actor_organisation TEXT;
