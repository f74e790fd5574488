package ivstest

import (
	"crypto/rand"
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

// newStreamID returns an IVS stream ID: "st-" and 23 letters or digits (26 characters).
func newStreamID() string { return "st-" + randomAlnum(23) }
