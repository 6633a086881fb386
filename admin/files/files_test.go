package files

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":        "passwd",
		`C:\Users\Олена\фото.jpg`: "фото.jpg",
		"a\x00b\"c.pdf":           "abc.pdf",
		"":                        "file",
		"..":                      "file",
		"Накладна PD00000001.pdf": "Накладна PD00000001.pdf",
	} {
		require.Equal(t, want, SafeName(in), in)
	}
	long := SafeName(string(bytes.Repeat([]byte("я"), 300)) + ".xlsx")
	require.Equal(t, 120, len([]rune(long)))
	require.Equal(t, ".xlsx", long[len(long)-5:])
}

func TestContentDisposition(t *testing.T) {
	require.Equal(t, `attachment; filename=report.xlsx; filename*=UTF-8''report.xlsx`, ContentDisposition("attachment", "report.xlsx"))
	require.Equal(t, `attachment; filename="___ 1.pdf"; filename*=UTF-8''%D0%90%D0%BA%D1%82%201.pdf`, ContentDisposition("attachment", "Акт 1.pdf"))
	require.NotContains(t, ContentDisposition("inline", "a\"; evil=1"), `"; evil`)
}

func TestThumbnail(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 100, 400))
	for y := range 400 {
		for x := range 100 {
			img.Set(x, y, color.NRGBA{255, 0, 0, 128}) // half-transparent red over white is pink
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	out, err := Thumbnail(b.Bytes(), 240)
	require.NoError(t, err)
	th, err := jpeg.Decode(bytes.NewReader(out))
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, 60, 240), th.Bounds())
	r, g, _, _ := th.At(30, 120).RGBA()
	require.Greater(t, r>>8, uint32(240))
	require.InDelta(t, 127, g>>8, 12)

	// A tiny file that claims a huge canvas is refused before decoding.
	var bomb bytes.Buffer
	require.NoError(t, png.Encode(&bomb, image.NewGray(image.Rect(0, 0, 10, 10))))
	raw := bomb.Bytes()
	// IHDR width and height live at bytes 16–23.
	copy(raw[16:24], []byte{0, 0, 0x9c, 0x40, 0, 0, 0x9c, 0x40}) // 40000×40000
	_, err = Thumbnail(raw, 240)
	require.Error(t, err)
}
