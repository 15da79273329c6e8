//go:build !linux

package storetest

import "os/exec"

// dieWithParent: only Linux has a parent-death signal; elsewhere the
// PostgreSQL run ends on its own -test.timeout.
func dieWithParent(*exec.Cmd) {}
