package views

import (
	"context"
	"testing"
	"time"

	"github.com/postdesk/postdesk/admin/actor"
)

func TestTimesAreShownInTheActorsZone(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 10, 31, 22, 30, 0, 0, time.UTC) // 00:30 on 1 November in Kyiv
	ctx := actor.With(context.Background(), &actor.Actor{Loc: kyiv})
	if got := DateTime(ctx, at); got != "2026-11-01 00:30" {
		t.Errorf("DateTime = %q, want Kyiv's 2026-11-01 00:30", got)
	}
	if got := Date(ctx, at); got != "2026-11-01" {
		t.Errorf("Date = %q, want Kyiv's 2026-11-01", got)
	}
}
