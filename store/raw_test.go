package store_test

import "database/sql"

func rawOpen(path string) (*sql.DB, error) { return sql.Open("sqlite", "file:"+path) }
