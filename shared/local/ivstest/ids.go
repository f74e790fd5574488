package ivstest

import (
	"crypto/rand"
	"fmt"
)

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomString returns n characters drawn from alphabet with crypto/rand.
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never returns an error (crypto/rand)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func randomAlnum(n int) string { return randomString(n, alnum) }

func randomHex(n int) string { return randomString(n, "0123456789abcdef") }

// newUUID returns a random (version 4) UUID, as EventBridge event IDs and request IDs are.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newStreamID returns an IVS stream ID: "st-" and 23 letters or digits (26 characters).
func newStreamID() string { return "st-" + randomAlnum(23) }
