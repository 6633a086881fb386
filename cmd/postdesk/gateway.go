package main

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/config"
	"github.com/postdesk/postdesk/admin/gateway"
	"github.com/postdesk/postdesk/admin/gateway/sandbox"
)

// startGateway returns the payment gateway client: the real one when POSTDESK_GATEWAY_URL is set,
// otherwise the built-in sandbox on a localhost port, so payouts and reconciliation work with no
// outside service. The returned func stops the sandbox.
func startGateway(cfg *config.Config, pool *pgxpool.Pool, log *slog.Logger) (*gateway.Client, func(), error) {
	gc := gateway.Config{URL: cfg.GatewayURL, Merchant: cfg.GatewayMerchant, Secret: cfg.GatewaySecret,
		Currency: cfg.Currency, Timeout: cfg.GatewayTimeout}
	if gc.Configured() {
		log.Info("payment gateway", "url", gc.URL, "merchant", gc.Merchant)
		return gateway.New(gc), func() {}, nil
	}
	sb, sc, err := sandbox.Run(cfg.Currency, pool)
	if err != nil {
		return nil, nil, err
	}
	log.Info("payment gateway: built-in sandbox (set POSTDESK_GATEWAY_URL for a real one)", "url", sc.URL)
	return gateway.New(sc), func() { _ = sb.Close() }, nil
}
