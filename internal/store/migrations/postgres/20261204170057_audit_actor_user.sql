-- Modify "audit_events" table
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_users_actor_user" FOREIGN KEY ("actor_user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
