package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The native coin is Gram (GRAM) since 2026-06-30; TON is the network's
// name. TestCoinIsCalledGram reads every text a person reads that this
// repository serves from Go (the bot's English and Russian texts and the
// rest of its strings, the rule book's refusals, the Mini App, merchant and
// dashboard APIs, the doctor, the configuration's errors, the sandbox's page,
// the OpenAPI document, the README) and finds no "TON" or "Toncoin" used as
// the coin's name.
//
// What is allowed, and why:
//   - the network: "TON" followed by Connect, network, DNS, address, wallet,
//     chain, blockchain, seed, -кошелёк (a wallet on TON), or preceded by
//     "on ", "of ", "сети ", "адрес " ("payments on TON", "адрес TON");
//     lower-case ton:// links, tonapi, tonviewer, ton_proof and the
//     TON_* settings (an underscore follows) never match;
//   - the former code where the rename is explained: in a sentence saying
//     formerly, alias, former or rename, in "(or TON)", and as `TON` in
//     backticks (the code itself, in the README and the OpenAPI document).
//
// Everything else fails: "1.5 TON", "in TON", "TON balance", "TON fee",
// "Toncoin", and the Russian "ТОН"/"тон" as the coin.
func TestCoinIsCalledGram(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	var texts []text
	goFiles := []string{"store/policy.go", "store/stars_policy.go", "cmd/tonpay/doctor/doctor.go", "cmd/tonpay/sandbox/sandbox.go",
		"cmd/tonpay/sandbox/wallet.go", "cmd/tonpay/config.go", "cmd/tonpay/main.go"}
	for _, dir := range []string{"bot", "bot/botapi", "miniapp", "miniapp/merchant", "miniapp/owner", "miniapp/admin", "miniapp/httpapi", "cmd/tonpay/cli", "cmd/tonpay/tlsfront"} {
		names, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if !strings.HasSuffix(n, "_test.go") {
				rel, _ := filepath.Rel(root, n)
				goFiles = append(goFiles, rel)
			}
		}
	}
	if len(goFiles) < 30 {
		t.Fatalf("found only %d Go files to read", len(goFiles))
	}
	sawTexts := false
	for _, f := range goFiles {
		lits := goStrings(t, filepath.Join(root, f))
		texts = append(texts, lits...)
		if f == filepath.Join("bot", "texts.go") {
			sawTexts = len(lits) > 100
		}
	}
	if !sawTexts {
		t.Fatal("bot/texts.go: the bot's texts were not read")
	}
	for _, f := range []string{"cmd/tonpay/sandbox/index.html", "cmd/tonpay/sandbox/sandbox.js", "miniapp/merchant/openapi.json", "README.md"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			texts = append(texts, text{where: f + ":" + strconv.Itoa(i+1), s: line})
		}
	}
	for _, tx := range texts {
		for _, bad := range coinNameUses(tx.s) {
			t.Errorf("%s: %q names the coin TON: say Gram/GRAM", tx.where, bad)
		}
	}
}

// TestCoinNameRule: the rule above finds what it must and lets the network
// through.
func TestCoinNameRule(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"1.5 TON", "top up with TON, pay", "the fee is charged in TON", "your TON balance is",
		"a 0.05 TON fee", "Toncoin", "Send TON to this address", "пополняйте баланс в TON", "10 ТОН", "сумма в тонах",
		"Faucet: +10 TON", "(TON or Telegram Stars)"} {
		if len(coinNameUses(s)) == 0 {
			t.Errorf("%q passed", s)
		}
	}
	for _, s := range []string{"TON Connect", "payments on TON inside Telegram", "is not a valid TON address", "the TON network",
		"withdraw to a TON wallet", "неверный адрес TON", "вывести на TON-кошелёк", "Emulated TON chain", "ton://transfer/EQ",
		"TON_NETWORK", "tonviewer.com", "the coin of TON is called Gram", "Gram (formerly Toncoin, `TON`: the same coin)",
		"GRAM (the native coin Gram; TON is accepted as an alias)", "is not GRAM (or TON) or a configured jetton",
		"refuses the names `GRAM` and `TON`", "ton_proof", "TON DNS"} {
		if bad := coinNameUses(s); len(bad) != 0 {
			t.Errorf("%q refused: %q", s, bad)
		}
	}
}

type text struct{ where, s string }

// goStrings returns the string literals of a Go file (comments are not
// read: they speak to programmers).
func goStrings(t *testing.T, path string) []text {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var out []text
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil {
				out = append(out, text{where: fset.Position(lit.Pos()).String(), s: s})
			}
		}
		return true
	})
	return out
}

var (
	// An upper-case TON standing alone (not TON_NETWORK, not TONPAY).
	tonWord = regexp.MustCompile(`(^|[^A-Za-z0-9_])TON($|[^A-Za-z0-9_])`)
	// The network after it: "TON Connect", "TON address", "TON-кошелёк".
	networkAfter = regexp.MustCompile(`^TON(\s+(Connect|network|DNS|address(es)?|wallets?|chain|blockchain|seed)\b|-кошел)`)
	// The network before it: "on TON", "of TON", "в сети TON", "адрес TON".
	networkBefore = regexp.MustCompile(`(\bon|\bof|сети|адрес)\s+$`)
	// A sentence explaining the rename may name the former code.
	renamed = regexp.MustCompile(`(?i)formerly|alias|former|rename|прежн`)
	// The coin's old name, and the Russian ones, are never right.
	toncoin = regexp.MustCompile(`(?i)toncoin|тонкоин|(^|[^\p{L}])(ТОН|тон(а|ы|ов|ах|ам|ами)?)($|[^\p{L}])`)
)

// coinNameUses returns the places in s that use TON as the coin's name.
func coinNameUses(s string) []string {
	var out []string
	for _, m := range toncoin.FindAllStringIndex(s, -1) {
		if !renamed.MatchString(sentence(s, m[0])) {
			out = append(out, around(s, m[0], m[1]))
		}
	}
	for _, m := range tonWord.FindAllStringIndex(s, -1) {
		start := strings.Index(s[m[0]:], "TON") + m[0]
		end := start + 3
		switch {
		case networkAfter.MatchString(s[start:]),
			networkBefore.MatchString(s[:start]),
			start > 0 && s[start-1] == '`' && end < len(s) && s[end] == '`', // the code itself
			strings.HasSuffix(s[:start], "(or ") && strings.HasPrefix(s[end:], ")"),
			renamed.MatchString(sentence(s, start)):
			continue
		}
		out = append(out, around(s, start, end))
	}
	return out
}

// sentence is the sentence of s around byte i.
func sentence(s string, i int) string {
	from := strings.LastIndexAny(s[:i], ".!?\n") + 1
	to := strings.IndexAny(s[i:], ".!?\n")
	if to < 0 {
		return s[from:]
	}
	return s[from : i+to]
}

func around(s string, i, j int) string {
	return s[max(0, i-30):min(len(s), j+30)]
}
