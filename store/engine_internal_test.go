package store

import "testing"

func TestRebind(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = $1 AND c = $2`},
		{`UPDATE b SET x = x + ?1 WHERE id = ?2 AND x + ?1 >= 0`, `UPDATE b SET x = x + $1 WHERE id = $2 AND x + $1 >= 0`},
		{`SELECT ?2, ?`, `SELECT $2, $3`}, // as SQLite numbers a bare ? after ?N
		{`SELECT '?', 'it''s ?', "col?" FROM t WHERE a = ?`, `SELECT '?', 'it''s ?', "col?" FROM t WHERE a = $1`},
		{"SELECT 1 -- why?\nWHERE a = ? /* or ? */ AND b = ?", "SELECT 1 -- why?\nWHERE a = $1 /* or ? */ AND b = $2"},
		{`SELECT '?`, `SELECT '?`}, // an unterminated literal is the server's to refuse
	} {
		if got := rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
