package clock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTestClock(t *testing.T) {
	c := NewTest()
	require.WithinDuration(t, time.Now(), c.Now(), time.Second)

	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	at := time.Date(2026, 10, 25, 3, 30, 0, 0, kyiv) // the night Kyiv's clocks go back
	c.Set(at)
	require.WithinDuration(t, at, c.Now(), time.Second)
	c.Advance(11 * time.Minute)
	require.WithinDuration(t, at.Add(11*time.Minute), c.Now(), time.Second)

	c.Freeze(at)
	require.Equal(t, at, c.Now())
	c.Advance(time.Hour)
	require.Equal(t, at.Add(time.Hour), c.Now())
}
