package lambdarie

import "syscall"

// KillEmulator kills an instance's emulator behind its back, as a crash would.
func KillEmulator(i *Instance) {
	i.mu.Lock()
	p := i.proc
	i.mu.Unlock()
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
}
