package ivstest

import "fmt"

// SetQuota changes the calls per second per operation (see Options.Quota) while the server
// runs: 0 turns quotas off, so a benchmark can set up many channels at once and then measure
// under IVS's quota. Buckets start full at the new rate.
func (s *Server) SetQuota(perSecond int) error {
	if perSecond < 0 {
		return fmt.Errorf("ivstest: quota: want 0 (off) or a positive number of calls per second, got %d", perSecond)
	}
	s.quota.mu.Lock()
	defer s.quota.mu.Unlock()
	s.quota.rate = float64(perSecond)
	clear(s.quota.buckets)
	return nil
}
