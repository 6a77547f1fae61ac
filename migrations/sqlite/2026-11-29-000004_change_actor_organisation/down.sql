ALTER TABLE changes DROP COLUMN actor_organisation;
