package pdfdoc_test

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	pdfdoc "github.com/postdesk/postdesk/admin/docs/pdf"
)

func TestZZDump(t *testing.T) {
	for _, n := range []int{1, 2, 4} {
		var ws []pdfdoc.Waybill
		for i := range n {
			ws = append(ws, sampleWaybill(t, i))
		}
		ws[0].Comment = "Дуже довгий коментар: " + string(bytes.Repeat([]byte("телефонуйте заздалегідь, "), 20))
		var buf bytes.Buffer
		if err := pdfdoc.WriteWaybills(&buf, ukLabels, ws, n); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(fmt.Sprintf("/tmp/pdfdump/w%d.pdf", n), buf.Bytes(), 0o644)
	}
	act := pdfdoc.HandoverAct{Number: "HA-1", Date: time.Now(), CourierName: "Нұрсұлтан Әбілқайыров", CourierPhone: "+7 701", Currency: "KZT"}
	for i := range 60 {
		act.Rows = append(act.Rows, pdfdoc.ActRow{OrderNumber: fmt.Sprint("ORD-", i), WaybillNumber: "PD26112000001", Recipient: "Ольга Шевченко-Кожамқұлова", Address: "Алматы, Абай даңғылы, 150/230, пәтер 12, під'їзд 3", WeightGrams: 12345, DeclaredValue: 12345678, Cost: 99950})
	}
	var buf bytes.Buffer
	if err := pdfdoc.WriteHandoverAct(&buf, ukLabels, act); err != nil {
		t.Fatal(err)
	}
	os.WriteFile("/tmp/pdfdump/act.pdf", buf.Bytes(), 0o644)
}

func BenchmarkZZOne(b *testing.B) {
	ws := []pdfdoc.Waybill{sampleWaybill(b, 1)}
	for b.Loop() {
		var buf bytes.Buffer
		if err := pdfdoc.WriteWaybills(&buf, ukLabels, ws, 1); err != nil {
			b.Fatal(err)
		}
	}
}
