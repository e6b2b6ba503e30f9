package mqtttest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes mosquitto exit when the test process dies, so a
// crashed test run leaves no broker behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
