package ton

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/store"
)

// JettonTransferOp is the TEP-74 jetton transfer op.
const JettonTransferOp = 0x0f8a7ea5

// CommentCell is a text comment as wallets write it: op 0 and the text as a
// snake string.
func CommentCell(comment string) *cell.Cell {
	return cell.BeginCell().MustStoreUInt(0, 32).MustStoreStringSnake(comment).EndCell()
}

// CommentPayload is CommentCell as TON Connect wants a message payload: a
// standard base64 BOC ("te6cc...").
func CommentPayload(comment string) string {
	return base64.StdEncoding.EncodeToString(CommentCell(comment).ToBOC())
}

// JettonTransferBody is a TEP-74 transfer (op 0x0f8a7ea5) to send to a
// jetton wallet: amount in the jetton's units to destination, excess TON to
// responseDestination (addr_none when nil), no custom payload, forwardTON
// attached to the transfer notification. A non-empty comment is the forward
// payload, always in a ref (either bit 1): one layout whatever the comment's
// length, which every jetton wallet and indexer reads. An empty comment is an
// empty inline forward payload.
//
// queryID makes the body deterministic (use the withdrawal id). It panics on
// a nil destination or a negative amount: callers validate amounts first.
func JettonTransferBody(queryID uint64, amount store.Amount, destination, responseDestination *address.Address, forwardTON store.Amount, comment string) *cell.Cell {
	if destination == nil {
		panic("ton: jetton transfer without destination")
	}
	if amount < 0 || forwardTON < 0 {
		panic("ton: negative amount in jetton transfer")
	}
	b := cell.BeginCell().
		MustStoreUInt(JettonTransferOp, 32).
		MustStoreUInt(queryID, 64).
		MustStoreCoins(uint64(amount)).
		MustStoreAddr(destination).
		MustStoreAddr(responseDestination).
		MustStoreMaybeRef(nil). // custom_payload
		MustStoreCoins(uint64(forwardTON))
	if comment == "" {
		b.MustStoreBoolBit(false)
	} else {
		b.MustStoreBoolBit(true).MustStoreRef(CommentCell(comment))
	}
	return b.EndCell()
}

// SendTransaction is the request @tonconnect/ui-react's sendTransaction
// takes. The SDK rejects unknown keys, raw addresses, non-digit amounts and
// payloads that are not base64 BOCs: Validate checks the same.
type SendTransaction struct {
	ValidUntil int64     `json:"validUntil"`        // unix seconds
	Network    string    `json:"network,omitempty"` // ChainMainnet or ChainTestnet: the wallet refuses another
	Messages   []Message `json:"messages"`
}

// Message is one message of a SendTransaction.
type Message struct {
	Address string `json:"address"`           // user-friendly, never raw
	Amount  string `json:"amount"`            // nanoton, digits
	Payload string `json:"payload,omitempty"` // base64 BOC
}

// maxMessages is what every TON Connect wallet accepts (W5 takes more).
const maxMessages = 4

// NewSendTransaction builds a request valid until validUntil on the given
// network.
func NewSendTransaction(validUntil time.Time, testnet bool, msgs ...Message) SendTransaction {
	network := ChainMainnet
	if testnet {
		network = ChainTestnet
	}
	return SendTransaction{ValidUntil: validUntil.Unix(), Network: network, Messages: msgs}
}

// TONMessage pays amount nanoton to to with an optional comment. The address
// is non-bounceable: the recipient may be an undeployed wallet.
func TONMessage(to *address.Address, testnet bool, amount store.Amount, comment string) Message {
	m := Message{Address: FormatAddress(to, testnet), Amount: strconv.FormatInt(int64(amount), 10)}
	if comment != "" {
		m.Payload = CommentPayload(comment)
	}
	return m
}

// JettonMessage sends body (JettonTransferBody) to the sender's own jetton
// wallet with attach nanoton for fees. The address is bounceable, so a
// failed transfer returns the TON.
func JettonMessage(jettonWallet *address.Address, testnet bool, attach store.Amount, body *cell.Cell) Message {
	return Message{
		Address: FormatBounceable(jettonWallet, testnet),
		Amount:  strconv.FormatInt(int64(attach), 10),
		Payload: base64.StdEncoding.EncodeToString(body.ToBOC()),
	}
}

// ErrBadTransaction is returned by SendTransaction.Validate.
var ErrBadTransaction = errors.New("bad ton connect transaction")

// Validate applies the checks @tonconnect/sdk applies before it sends a
// request to the wallet, plus an expiry in the future.
func (t SendTransaction) Validate(now time.Time) error {
	if t.ValidUntil <= now.Unix() {
		return fmt.Errorf("%w: validUntil is not in the future", ErrBadTransaction)
	}
	if t.Network != "" && t.Network != ChainMainnet && t.Network != ChainTestnet {
		return fmt.Errorf("%w: network %q", ErrBadTransaction, t.Network)
	}
	if len(t.Messages) == 0 || len(t.Messages) > maxMessages {
		return fmt.Errorf("%w: %d messages, want 1 to %d", ErrBadTransaction, len(t.Messages), maxMessages)
	}
	for i, m := range t.Messages {
		if strings.Contains(m.Address, ":") {
			return fmt.Errorf("%w: message %d: raw address", ErrBadTransaction, i)
		}
		if _, err := ParseAddress(m.Address, t.Network == ChainTestnet); err != nil {
			return fmt.Errorf("%w: message %d: %v", ErrBadTransaction, i, err)
		}
		if m.Amount == "" || strings.Trim(m.Amount, "0123456789") != "" {
			return fmt.Errorf("%w: message %d: amount %q is not digits", ErrBadTransaction, i, m.Amount)
		}
		if m.Payload != "" {
			boc, err := base64.StdEncoding.DecodeString(m.Payload)
			if err != nil || !strings.HasPrefix(m.Payload, "te6cc") {
				return fmt.Errorf("%w: message %d: payload is not standard base64", ErrBadTransaction, i)
			}
			if _, err := ParseBOC(boc); err != nil {
				return fmt.Errorf("%w: message %d: payload is not a boc", ErrBadTransaction, i)
			}
		}
	}
	return nil
}

// TransferLink is a ton://transfer link paying amount nanoton to to
// (non-bounceable form, testnet flag on testnet) with a comment. A zero
// amount or empty comment is left out, for the user to fill in.
func TransferLink(to *address.Address, testnet bool, amount store.Amount, comment string) string {
	return transferLink(FormatAddress(to, testnet), nil, amount, comment)
}

// JettonTransferLink is a ton://transfer link, as Tonkeeper reads it, sending
// amount units of the jetton whose master is master to to.
func JettonTransferLink(to, master *address.Address, testnet bool, amount store.Amount, comment string) string {
	return transferLink(FormatAddress(to, testnet), []string{"jetton", FormatBounceable(master, testnet)}, amount, comment)
}

func transferLink(to string, first []string, amount store.Amount, comment string) string {
	var q []string
	for i := 0; i+1 < len(first); i += 2 {
		q = append(q, first[i]+"="+escape(first[i+1]))
	}
	if amount > 0 {
		q = append(q, "amount="+strconv.FormatInt(int64(amount), 10))
	}
	if comment != "" {
		q = append(q, "text="+escape(comment))
	}
	link := "ton://transfer/" + to
	if len(q) > 0 {
		link += "?" + strings.Join(q, "&")
	}
	return link
}

// escape percent-encodes a query value with %20 for a space: wallets decode
// with decodeURIComponent, which leaves "+" as it is.
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
