package xlsx_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/admin/docs/xlsx"
)

// An export written row by row, then read back as an import would read it.
func Example() {
	ctx := context.Background()
	var file bytes.Buffer
	w, err := xlsx.NewWriter(&file, "Orders", nil)
	if err != nil {
		panic(err)
	}
	if err := w.SetColumns([]xlsx.Column{{Title: "Order"}, {Title: "Cost", Kind: xlsx.Money}}); err != nil {
		panic(err)
	}
	_ = w.WriteRow(ctx, "ORD-1", int64(123450))
	_ = w.WriteRow(ctx, "=1+1", int64(5)) // stays text
	if err := w.Close(); err != nil {
		panic(err)
	}

	r, err := xlsx.Open(bytes.NewReader(file.Bytes()), int64(file.Len()), xlsx.Limits{Header: []string{"Order", "Cost"}})
	if err != nil {
		panic(err)
	}
	defer r.Close()
	for r.Next() {
		n, cells := r.Row()
		cost, _ := xlsx.ParseMinor(cells[1])
		fmt.Println(n, cells[0], cost)
	}
	if err := r.Err(); err != nil {
		panic(err)
	}
	// Output:
	// 2 ORD-1 123450
	// 3 =1+1 5
}

// Open's errors say what is wrong with the file; a caller maps them to its own messages.
func ExampleOpen_refused() {
	csv := strings.NewReader("order,cost\nORD-1,1234.50\n")
	_, err := xlsx.Open(csv, csv.Size(), xlsx.Limits{})
	switch {
	case errors.Is(err, xlsx.ErrNotXLSX):
		fmt.Println("not a workbook")
	case errors.Is(err, xlsx.ErrWrongHeader):
		var he *xlsx.HeaderError
		errors.As(err, &he)
		fmt.Println("wrong header in column", he.Letter)
	}
	// Output: not a workbook
}
