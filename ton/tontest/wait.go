package tontest

import (
	"context"
	"time"
)

// WaitHead blocks until the chain's head is at least seqno; false when ctx
// ended or the chain closed first. Tests wait on blocks, not on the clock.
func (c *Chain) WaitHead(ctx context.Context, seqno uint32) bool {
	for {
		if c.waitSeqno(ctx, seqno, time.Hour) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-c.done:
			return false
		default:
		}
	}
}
