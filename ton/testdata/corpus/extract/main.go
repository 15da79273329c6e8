package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

type fix struct {
	BlockBOCBase64   string `json:"block_boc_base64"`
	Block            any    `json:"block"`
	MasterSeqno      uint32 `json:"master_seqno"`
	PreviousAccounts []struct {
		Account string `json:"account"`
		SA      string `json:"shard_account_boc_base64"`
	} `json:"previous_accounts"`
	TC []struct {
		Account string `json:"account"`
		LT      uint64 `json:"lt"`
		Now     uint32 `json:"now"`
		Storage int64  `json:"storage_fees"`
	} `json:"transaction_configs"`
}

type rec struct {
	Account       string   `json:"account"`
	LT            uint64   `json:"lt"`
	Hash          string   `json:"hash"`
	Now           uint32   `json:"now"`
	StorageFees   *int64   `json:"storage_fees,omitempty"`
	BalanceBefore string   `json:"balance_before,omitempty"`
	FirstInBlock  bool     `json:"first_in_block"`
	Code          string   `json:"code"`
	In            string   `json:"in"`
	Src           string   `json:"src,omitempty"`
	Value         string   `json:"value,omitempty"`
	Op            string   `json:"op"`
	Bounced       bool     `json:"bounced,omitempty"`
	Text          string   `json:"text,omitempty"`
	FwdText       string   `json:"fwd_text,omitempty"`
	FwdKind       string   `json:"fwd_kind,omitempty"`
	JettonAmount  string   `json:"jetton_amount,omitempty"`
	JettonFrom    string   `json:"jetton_from,omitempty"`
	BalanceAfter  string   `json:"balance_after,omitempty"`
	Aborted       bool     `json:"aborted"`
	Compute       string   `json:"compute"`
	BouncePhase   bool     `json:"bounce_phase"`
	Outs          []string `json:"outs"`
	BOC           string   `json:"boc"`
}

func op(c *cell.Cell) string {
	if c == nil {
		return "-"
	}
	s := c.MustBeginParse()
	if s.BitsLeft() < 32 {
		return fmt.Sprintf("short%d", s.BitsLeft())
	}
	v, _ := s.LoadUInt(32)
	return fmt.Sprintf("%08x", v)
}

func text(c *cell.Cell) string {
	if c == nil {
		return ""
	}
	s := c.MustBeginParse()
	if s.BitsLeft() < 32 {
		return ""
	}
	if v, _ := s.LoadUInt(32); v != 0 {
		return ""
	}
	t, err := s.LoadStringSnake()
	if err != nil {
		return "ERR"
	}
	return t
}

// forward payload of internal_transfer (0x178d4519) or transfer_notification (0x7362d09c)
func fwd(c *cell.Cell, r *rec) (string, string) {
	s := c.MustBeginParse()
	o, _ := s.LoadUInt(32)
	s.LoadUInt(64)
	amt, _ := s.LoadBigCoins()
	r.JettonAmount = amt.String()
	if o == 0x178d4519 {
		a, _ := s.LoadAddr()
		r.JettonFrom = raw(a)
		s.LoadAddr()
		s.LoadBigCoins()
	} else if o == 0x7362d09c {
		a, _ := s.LoadAddr()
		r.JettonFrom = raw(a)
	} else {
		return "", ""
	}
	isRef, err := s.LoadBoolBit()
	if err != nil {
		return "", "no-either"
	}
	var p *cell.Slice
	kind := "inline"
	if isRef {
		r, err := s.LoadRefCell()
		if err != nil {
			return "", "badref"
		}
		p = r.MustBeginParse()
		kind = "ref"
	} else {
		p = s
	}
	if p.BitsLeft() < 32 {
		return "", kind + "-empty"
	}
	v, _ := p.LoadUInt(32)
	if v != 0 {
		return "", fmt.Sprintf("%s-op%08x", kind, v)
	}
	t, err := p.LoadStringSnake()
	if err != nil {
		return "", kind + "-badtext"
	}
	return t, kind
}

func main() {
	switch os.Args[1] {
	case "block":
		block(os.Args[2])
	case "reg":
		reg(os.Args[2])
	case "boc":
		var out []rec
		for i := 2; i+1 < len(os.Args); i += 2 {
			bb, err := base64.StdEncoding.DecodeString(os.Args[i+1])
			if err != nil {
				panic(err)
			}
			c, err := cell.FromBOC(bb)
			if err != nil {
				panic(err)
			}
			var tx tlb.Transaction
			if err := tlb.Parse(&tx, c); err != nil {
				panic(err)
			}
			tx.Hash = c.Hash()
			r := describe(&tx, c)
			r.Account = os.Args[i]
			out = append(out, r)
		}
		e := json.NewEncoder(os.Stdout)
		e.SetIndent("", " ")
		e.Encode(out)
	}
}

type regAcc struct {
	Address string `json:"address"`
	From    string `json:"from_shard_account_boc_base64"`
	To      string `json:"to_shard_account_boc_base64"`
	First   struct {
		LT      uint64 `json:"lt"`
		Hash    string `json:"expected_tx_hash"`
		BOC     string `json:"expected_tx_boc_base64"`
		Now     uint32 `json:"now"`
		Storage *int64 `json:"storage_fees"`
	} `json:"first_tx"`
	MasterSeqno uint32 `json:"master_seqno"`
}

func state(b64 string) (string, uint64, string) {
	bb, _ := base64.StdEncoding.DecodeString(b64)
	c, err := cell.FromBOC(bb)
	if err != nil {
		panic(err)
	}
	var sa tlb.ShardAccount
	if err := tlb.LoadFromCell(&sa, c.MustBeginParse()); err != nil {
		panic(err)
	}
	var a tlb.AccountState
	if err := tlb.LoadFromCell(&a, sa.Account.MustBeginParse()); err != nil {
		panic(err)
	}
	code := ""
	if a.StateInit != nil && a.StateInit.Code != nil {
		code = hex.EncodeToString(a.StateInit.Code.Hash())
	}
	return a.Balance.Nano().String(), sa.LastTransLT, code
}

func reg(path string) {
	raw, _ := os.ReadFile(path)
	var f struct{ Accounts []regAcc }
	if err := json.Unmarshal(raw, &f); err != nil {
		panic(err)
	}
	var out []rec
	for _, a := range f.Accounts {
		bb, _ := base64.StdEncoding.DecodeString(a.First.BOC)
		c, err := cell.FromBOC(bb)
		if err != nil {
			panic(err)
		}
		var tx tlb.Transaction
		if err := tlb.Parse(&tx, c); err != nil {
			panic(err)
		}
		tx.Hash = c.Hash()
		if hex.EncodeToString(tx.Hash) != a.First.Hash {
			panic("hash")
		}
		r := describe(&tx, c)
		r.Account = a.Address
		r.StorageFees = a.First.Storage
		fb, flt, code := state(a.From)
		tb, tlt, _ := state(a.To)
		if tlt != tx.LT || flt >= tx.LT {
			panic("states do not frame the transaction")
		}
		r.Code, r.BalanceBefore, r.BalanceAfter = code, fb, tb
		out = append(out, r)
	}
	e := json.NewEncoder(os.Stdout)
	e.SetIndent("", " ")
	e.Encode(out)
}

func block(path string) {
	raw, _ := os.ReadFile(path)
	var f fix
	if err := json.Unmarshal(raw, &f); err != nil {
		panic(err)
	}
	b, _ := base64.StdEncoding.DecodeString(f.BlockBOCBase64)
	root, err := cell.FromBOC(b)
	if err != nil {
		panic(err)
	}
	var blk tlb.Block
	if err := tlb.Parse(&blk, root); err != nil {
		panic(err)
	}
	txs, cells := list(&blk)
	code := map[string]string{}
	bal := map[string]string{}
	for _, a := range f.PreviousAccounts {
		bb, _ := base64.StdEncoding.DecodeString(a.SA)
		c, _ := cell.FromBOC(bb)
		var sa tlb.ShardAccount
		if err := tlb.LoadFromCell(&sa, c.MustBeginParse()); err != nil {
			continue
		}
		var acc tlb.AccountState
		if err := tlb.LoadFromCell(&acc, sa.Account.MustBeginParse()); err != nil {
			continue
		}
		if acc.IsValid {
			bal[a.Account] = acc.Balance.Nano().String()
			if acc.StateInit != nil && acc.StateInit.Code != nil {
				code[a.Account] = hex.EncodeToString(acc.StateInit.Code.Hash())
			}
		} else {
			bal[a.Account] = "0"
		}
	}
	tc := map[string]int64{}
	for _, t := range f.TC {
		tc[fmt.Sprintf("%s/%d", t.Account, t.LT)] = t.Storage
	}
	minLT := map[string]uint64{}
	for _, tx := range txs {
		a := fmt.Sprintf("0:%x", tx.AccountAddr)
		if m, ok := minLT[a]; !ok || tx.LT < m {
			minLT[a] = tx.LT
		}
	}
	var out []rec
	for i, tx := range txs {
		acct := fmt.Sprintf("0:%x", tx.AccountAddr)
		r := describe(tx, cells[i])
		r.Account = acct
		r.Code = code[acct]
		if s, ok := tc[fmt.Sprintf("%s/%d", acct, tx.LT)]; ok {
			r.StorageFees = &s
		}
		if minLT[acct] == tx.LT {
			r.FirstInBlock = true
			r.BalanceBefore = bal[acct]
		}
		out = append(out, r)
	}
	e := json.NewEncoder(os.Stdout)
	e.SetIndent("", " ")
	e.Encode(out)
}

func describe(tx *tlb.Transaction, c *cell.Cell) rec {
	d, _ := tx.Description.(tlb.TransactionDescriptionOrdinary)
	r := rec{LT: tx.LT, Hash: hex.EncodeToString(tx.Hash), Now: tx.Now, Aborted: d.Aborted, BouncePhase: d.BouncePhase != nil, In: "none", Op: "-"}
	if hex.EncodeToString(c.Hash()) != r.Hash {
		panic("hash mismatch " + r.Hash)
	}
	r.BOC = base64.StdEncoding.EncodeToString(c.ToBOC())
	if tx.IO.In != nil {
		switch tx.IO.In.MsgType {
		case tlb.MsgTypeInternal:
			m := tx.IO.In.AsInternal()
			r.In = "int"
			r.Src = m.SrcAddr.StringRaw()
			r.Op = op(m.Body)
			r.Value = m.Amount.Nano().String()
			r.Bounced = m.Bounced
			r.Text = text(m.Body)
			if r.Op == "178d4519" || r.Op == "7362d09c" {
				r.FwdText, r.FwdKind = fwd(m.Body, &r)
			}
		case tlb.MsgTypeExternalIn:
			r.In = "ext"
			r.Op = op(tx.IO.In.AsExternalIn().Body)
		}
	}
	switch p := d.ComputePhase.Phase.(type) {
	case tlb.ComputePhaseVM:
		r.Compute = fmt.Sprintf("vm %v exit %d", p.Success, p.Details.ExitCode)
	case tlb.ComputePhaseSkipped:
		r.Compute = "skipped " + string(p.Reason.Type)
	}
	if tx.IO.Out != nil {
		ms, _ := tx.IO.Out.ToSlice()
		for _, m := range ms {
			if m.MsgType == tlb.MsgTypeInternal {
				im := m.AsInternal()
				s := op(im.Body) + " " + im.Amount.Nano().String() + " to " + im.DstAddr.StringRaw()
				if t := text(im.Body); t != "" {
					s += " text=" + t
				}
				r.Outs = append(r.Outs, s)
			} else {
				r.Outs = append(r.Outs, "ext-out")
			}
		}
	}
	return r
}

func skipCC(s *cell.Slice) {
	if _, err := s.LoadBigCoins(); err != nil {
		panic(err)
	}
	if _, err := s.LoadMaybeRef(); err != nil {
		panic(err)
	}
}

func list(b *tlb.Block) ([]*tlb.Transaction, []*cell.Cell) {
	accounts := b.Extra.ShardAccountBlocks.MustBeginParse()
	if !accounts.MustLoadBoolBit() {
		return nil, nil
	}
	root := accounts.MustLoadRef().MustToCell()
	all, err := root.AsDict(256).LoadAll()
	if err != nil {
		panic(err)
	}
	var txs []*tlb.Transaction
	var cells []*cell.Cell
	for _, kv := range all {
		skipCC(kv.Value)
		var ab tlb.AccountBlock
		if err := tlb.LoadFromCell(&ab, kv.Value); err != nil {
			panic(err)
		}
		kvs, err := ab.Transactions.AsCell().AsDict(64).LoadAll()
		if err != nil {
			panic(err)
		}
		for _, t := range kvs {
			skipCC(t.Value)
			c, err := t.Value.LoadRefCell()
			if err != nil {
				panic(err)
			}
			var tx tlb.Transaction
			if err := tlb.Parse(&tx, c); err != nil {
				panic(err)
			}
			tx.Hash = c.Hash()
			txs = append(txs, &tx)
			cells = append(cells, c)
		}
	}
	return txs, cells
}

func raw(a *address.Address) string {
	if a == nil || a.IsAddrNone() {
		return ""
	}
	return a.StringRaw()
}
