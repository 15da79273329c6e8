package store

// What a payout costs the hot wallet on chain, derived from the network's
// fee configuration. Mainnet's basechain prices (the hot wallet lives on
// workchain 0), as docs.ton.org lists them ("Blockchain limits",
// https://docs.ton.org/foundations/limits; live at tonviewer.com/config):
//
//   - ConfigParam 21, gas prices: gas_price 26214400 per 65536 gas units,
//     i.e. 400 nanoton a gas unit (flat_gas_limit 100 for flat_gas_price
//     40000, the same rate);
//   - ConfigParam 25, message forwarding prices: lump_price 400000,
//     bit_price 26214400 and cell_price 2621440000 per 65536, i.e. 400
//     nanoton a bit and 40000 a cell, counted outside the message's root
//     cell (an external message's import fee is priced the same way);
//     first_frac 21845: a third is booked by the sender's transaction, the
//     rest travels in the message's fwd_fee, all of it paid by the sender;
//   - ConfigParams 20 and 24 are the masterchain's (25 times dearer); no
//     payout touches the masterchain.
//
// Gas: a Highload Wallet v3 external with one transfer uses 7,021 gas on
// chain (docs.ton.org, wallets' gas benchmarks); NetworkGasBudget allows
// 10,000 for it, and as much again for the internal_transfer that fans a
// batch out.
const (
	NetworkGasPrice  = 400     // nanoton a gas unit (ConfigParam 21)
	NetworkFwdLump   = 400_000 // nanoton a message (ConfigParam 25)
	NetworkFwdBit    = 400     // nanoton a bit outside the root cell
	NetworkFwdCell   = 40_000  // nanoton a cell outside the root cell
	NetworkGasBudget = 10_000  // gas of one Highload v3 transaction, with room

	// NetworkStorageBudget is the hot wallet's storage phase (ConfigParam
	// 18: 1 nanoton a bit and 500 a cell per 65536 s): a state of 1,000
	// cells and 500,000 bits (query-id dictionaries of a busy wallet) idle
	// for a day pays about 0.0013 TON in its next transaction; 0.001 TON
	// is budgeted per payout, since one transaction rarely follows a day
	// of idleness.
	NetworkStorageBudget Amount = 1_000_000

	// JettonAttachTON is the TON the hot wallet attaches to a jetton
	// transfer (the payer's default): its jetton wallet spends what the
	// transfer costs (its own gas, the internal_transfer to the
	// recipient's jetton wallet with its state init, that wallet's gas and
	// storage reserve, the notification) and the rest comes back as
	// excesses. At most all of it is spent.
	JettonAttachTON Amount = 50_000_000
)

// Sizes of what a payout puts on chain, in bits (each fits one cell).
const (
	bitsMsgInner = 32 + 8 + 23 + 64 + 22 // Highload v3 MsgInner: subwallet, mode, query id, created_at, timeout
	// An internal message's header, at most: flags 4, src addr_none 2,
	// dest 267, value (Coins, 124) and no extra currencies 1, ihr and
	// fwd fees 4+4, created_lt 64, created_at 32, init 1, body 1.
	bitsMessage = 4 + 2 + 267 + 124 + 1 + 8 + 64 + 32 + 2
	// A comment cell: op 0 and at most 120 bytes (payout comments are
	// limited to 120 bytes).
	bitsComment = 32 + 120*8
	// A jetton transfer body (TEP-74): op, query id, amount, destination,
	// response destination, no custom payload, forward TON amount, and the
	// forward payload in a reference.
	bitsJettonBody = 32 + 64 + 124 + 267 + 267 + 1 + 124 + 1
)

// FwdFee is the forwarding price of a message (or the import price of an
// external) that holds bits in cells outside its root cell.
func FwdFee(bits, cells int64) Amount {
	return Amount(NetworkFwdLump + bits*NetworkFwdBit + cells*NetworkFwdCell)
}

// PayoutCost is the most one payout of an asset costs the hot wallet on
// chain, in nanoton. The dearest case is a batch of one, which carries the
// external alone (in a batch of many the external's import, gas and the
// internal_transfer are shared):
//
//	import of the external   FwdFee(MsgInner + message + payload)
//	gas of the external      NetworkGasBudget × NetworkGasPrice
//	the payout message       FwdFee(payload)
//	storage                  NetworkStorageBudget
//
// where the payload is the comment (TON), or the transfer body and its
// comment (a jetton, plus all of JettonAttachTON in the worst case).
//
// TON: 1,178,000 + 4,000,000 + 836,800 + 1,000,000 = 7,014,800 (0.0070148).
// Jetton: 1,570,000 + 4,000,000 + 1,228,800 + 1,000,000 + 50,000,000 =
// 57,798,800 (0.0577988); what a TEP-74 jetton wallet really spends of the
// attached 0.05 is about 0.02-0.03 (0.01 of it the new recipient wallet's
// storage reserve), so a jetton payout costs about 0.035 in practice.
func PayoutCost(a Asset) Amount {
	payloadBits, payloadCells := int64(bitsComment), int64(1)
	extra := Amount(0)
	if a.Master != "" {
		payloadBits, payloadCells = bitsJettonBody+bitsComment, 2
		extra = JettonAttachTON
	}
	imp := FwdFee(bitsMsgInner+bitsMessage+payloadBits, 2+payloadCells)
	gas := Amount(NetworkGasBudget * NetworkGasPrice)
	return imp + gas + FwdFee(payloadBits, payloadCells) + NetworkStorageBudget + extra
}

// Default withdrawal fees and minimums (WITHDRAW_FEE and WITHDRAW_MIN unset):
// a fee at least PayoutCost, and a TON minimum well above the fee.
const (
	DefaultTONFee    Amount = 10_000_000  // 0.01 TON ≥ PayoutCost(TON) 0.0070148
	DefaultJettonFee Amount = 60_000_000  // 0.06 TON ≥ PayoutCost(jetton) 0.0577988
	DefaultTONMin    Amount = 100_000_000 // 0.1 TON: ten fees
)
