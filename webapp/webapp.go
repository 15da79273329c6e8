// Package webapp holds the built Telegram Mini App front end (React + TypeScript + Vite, sources
// beside this file). The build output in dist/ is committed and embedded, so `go build` needs no
// Node; after changing the sources run `npm ci && npm run build` in this folder and commit dist/.
package webapp

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// FS returns the built page: index.html at the root, hashed assets under assets/.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only for an invalid path; "dist" is a constant.
		panic(err)
	}
	return sub
}
