//go:build race

package main

// raceEnabled: the race detector slows CPU-bound work (the seed's PBKDF2
// derivations) several times; timing bounds allow for it.
const raceEnabled = true
