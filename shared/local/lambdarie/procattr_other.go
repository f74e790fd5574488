//go:build !linux

package lambdarie

import "syscall"

// sysProcAttr puts the emulator in its own process group, so Close can end it and the
// bootstrap it started together.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// children is not implemented outside Linux: a killed emulator's bootstrap exits by itself
// when it loses the runtime API.
func children(int) []int { return nil }
