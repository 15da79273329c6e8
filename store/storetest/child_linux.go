package storetest

import (
	"os/exec"
	"runtime"
	"syscall"
)

// dieWithParent makes the PostgreSQL run's process end with the first run's
// (go test killing it on a timeout kills both). The signal follows the
// thread that starts the process, not the process: the calling goroutine
// (TestMain's, which only waits from here on) keeps its thread to the end.
func dieWithParent(cmd *exec.Cmd) {
	runtime.LockOSThread()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
