package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Client talks to one gateway as one merchant. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *http.Client
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return &Client{cfg: cfg, http: &http.Client{Timeout: cfg.Timeout, Transport: tr}}
}

// Merchant is the merchant account the client signs as.
func (c *Client) Merchant() string { return c.cfg.Merchant }

// Currency is the currency payouts are sent in.
func (c *Client) Currency() string { return c.cfg.Currency }

// Card is where a payout goes: a card number or the gateway's token of a saved card.
type Card struct {
	Number string
	Token  string
}

// Credit pays amount out to the card under ref (P2P_CREDIT). A nil error means the gateway
// answered with a valid signature: the Result says approved, declined, in processing or
// duplicate. An error wrapping ErrUnknown means the payment may or may not have happened.
func (c *Client) Credit(ctx context.Context, ref string, amount Amount, card Card, description string) (Result, error) {
	req := Request{TransactionType: TypeP2PCredit, OrderReference: ref, Amount: amount, Currency: c.cfg.Currency,
		CardBeneficiary: card.Number, Rec2Token: card.Token, Description: description}
	var res Result
	if err := c.do(ctx, req, &res); err != nil {
		return Result{}, err
	}
	return res, c.checkResult(res, ref)
}

// Status asks what became of ref (CHECK_STATUS). ReasonNotFound means the gateway never saw it.
func (c *Client) Status(ctx context.Context, ref string) (Result, error) {
	var res Result
	if err := c.do(ctx, Request{TransactionType: TypeCheckStatus, OrderReference: ref}, &res); err != nil {
		return Result{}, err
	}
	return res, c.checkResult(res, ref)
}

// Transactions returns the statement for [from, to] (TRANSACTION_LIST); the gateway counts in
// whole seconds.
func (c *Client) Transactions(ctx context.Context, from, to time.Time) (List, error) {
	req := Request{TransactionType: TypeTransactionList, DateBegin: from.Unix(), DateEnd: to.Unix()}
	var l List
	if err := c.do(ctx, req, &l); err != nil {
		return List{}, err
	}
	if !Verify(c.cfg.Secret, l.MerchantSignature, l.SignatureValues()...) {
		return List{}, fmt.Errorf("%w: statement signature does not verify", ErrUnknown)
	}
	if l.ReasonCode != ReasonOK {
		return List{}, fmt.Errorf("gateway: statement refused: %d %s", l.ReasonCode, l.Reason)
	}
	return l, nil
}

func (c *Client) checkResult(res Result, ref string) error {
	if !Verify(c.cfg.Secret, res.MerchantSignature, res.SignatureValues()...) {
		return fmt.Errorf("%w: response signature does not verify", ErrUnknown)
	}
	if res.OrderReference != ref && res.ReasonCode != ReasonBadSignature {
		return fmt.Errorf("%w: answer is about %q, not %q", ErrUnknown, res.OrderReference, ref)
	}
	if res.ReasonCode == ReasonBadSignature {
		// Our own request was refused: a configuration error, not an unknown result.
		return errors.New("gateway: the gateway refused our signature (check POSTDESK_GATEWAY_SECRET)")
	}
	return nil
}

// maxResponse bounds what we read from the gateway; a statement of a busy month fits.
const maxResponse = 1 << 30

func (c *Client) do(ctx context.Context, req Request, out any) error {
	req.MerchantAccount = c.cfg.Merchant
	req.APIVersion = 1
	req.MerchantSignature = Sign(c.cfg.Secret, req.SignatureValues()...)
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(hr)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnknown, req.TransactionType, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return fmt.Errorf("%w: %s: HTTP %d", ErrUnknown, req.TransactionType, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponse)).Decode(out); err != nil {
		return fmt.Errorf("%w: %s: unreadable answer: %w", ErrUnknown, req.TransactionType, err)
	}
	return nil
}
