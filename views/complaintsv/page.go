// Package complaintsv holds the complaints desk's templ components; they take plain data.
package complaintsv

import "strconv"

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
