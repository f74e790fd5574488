package lambdarie

// Instances returns the pool's instances, by index (Line.Instance).
func (p *Pool) Instances() []*Instance { return append([]*Instance(nil), p.instances...) }

// BootstrapPIDs returns the process IDs of the bootstrap(s) the instance's current emulator
// runs: the emulator's own children, found through the process this Instance started (so a
// caller that kills one of them by its ID stops only a process of this instance). It returns
// nil when the emulator has not started the bootstrap yet (before the first invoke), has exited,
// or the platform cannot tell.
func (i *Instance) BootstrapPIDs() []int {
	i.mu.Lock()
	p := i.proc
	i.mu.Unlock()
	if p == nil {
		return nil
	}
	select {
	case <-p.exited:
		return nil // reaped: its ID may belong to another process by now
	default:
	}
	return children(p.cmd.Process.Pid)
}
