-- Every chain booking carries its real kind (../0011_transfer_kinds.sql
-- rewrites the kind of bookings a SQLite database made before this
-- version). A PostgreSQL database is made by this version or a later one:
-- there is nothing to rewrite. The file exists so that both engines record
-- the same migrations.
SELECT 1;
