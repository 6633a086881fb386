package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// HTTPSMS sends SMS through a provider's HTTP API: POST {from, to, text, reference} as JSON with a
// bearer token; a 2xx answer carries {"id": "..."}. 429 and 5xx answers and network errors are
// temporary; other 4xx answers (a bad number, a refused sender) are permanent. The reference is
// the outbox row's id, so a provider that deduplicates never sends a retried message twice.
type HTTPSMS struct {
	URL    string
	Token  string
	Sender string // the platform's sender name, e.g. "Postdesk"
	Client *http.Client
}

type smsRequest struct {
	From      string `json:"from"`
	To        string `json:"to"`
	Text      string `json:"text"`
	Reference string `json:"reference"`
}

// SendSMS sends one message.
func (s *HTTPSMS) SendSMS(ctx context.Context, m SMSMessage) Result {
	body, _ := json.Marshal(smsRequest{From: s.Sender, To: m.To, Text: m.Text, Reference: "postdesk-" + strconv.FormatInt(m.ID, 10)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return Result{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return Result{Err: err, Temporary: true}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		var out struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" {
			// Sent, but the answer names no id: record it without one rather than send again.
			return Result{ProviderID: ""}
		}
		return Result{ProviderID: out.ID}
	}
	err = fmt.Errorf("SMS provider answered %d: %s", resp.StatusCode, truncate(string(bytes.TrimSpace(raw)), 300))
	return Result{Err: err, Temporary: resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500}
}
