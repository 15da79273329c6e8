package miniapp

import "time"

// MeCacheTTL is how long GET /api/me's answer is kept at most.
const MeCacheTTL = meCacheTTL

// SetMeCache empties the server's kept answers of GET /api/me and makes
// it keep at most max, on the clock now. It does nothing on PostgreSQL,
// where none are kept.
func SetMeCache(s *Server, max int, now func() time.Time) {
	m := s.meCache
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.max, m.now = max, now
	clear(m.entries)
}

// MeCacheSize is how many answers of GET /api/me the server keeps; -1
// when it keeps none (PostgreSQL).
func MeCacheSize(s *Server) int {
	if s.meCache == nil {
		return -1
	}
	return s.meCache.size()
}
