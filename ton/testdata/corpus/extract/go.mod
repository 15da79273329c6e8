module corpusextract

go 1.26.0

require github.com/xssnick/tonutils-go v1.18.0

require github.com/pierrec/lz4/v4 v4.1.34 // indirect
