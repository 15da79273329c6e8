-- The native coin is Gram, asset code GRAM (../0008_gram.sql rewrites the
-- code TON to GRAM in a SQLite database made before the ticker change).
-- A PostgreSQL database is made by this version or a later one, which
-- never record the coin under TON: there is nothing to rewrite. The file
-- exists so that both engines record the same migrations.
SELECT 1;
