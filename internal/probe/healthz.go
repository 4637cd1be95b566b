package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Health is an operations /healthz answer.
type Health struct {
	Code   int    // HTTP status
	OK     bool   // 200
	Status string // the answer's status ("OK" when it names none)
	Body   string
	Failed []string // "component: reason" of each failed check
}

// Problem says why the endpoint is not healthy.
func (h Health) Problem() string {
	reasons := h.Failed
	if len(reasons) == 0 {
		reasons = []string{strings.TrimSpace(h.Body)}
	}
	return fmt.Sprintf("healthz %d: %s", h.Code, strings.Join(reasons, "; "))
}

// Healthz asks an operations /healthz endpoint (Fabric's peers and
// orderers) through client; an error means no answer at all.
func Healthz(ctx context.Context, client *http.Client, url string) (Health, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Health{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return Health{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var doc struct {
		Status       string `json:"status"`
		FailedChecks []struct {
			Component string `json:"component"`
			Reason    string `json:"reason"`
		} `json:"failed_checks"`
	}
	_ = json.Unmarshal(body, &doc)
	h := Health{Code: resp.StatusCode, OK: resp.StatusCode == http.StatusOK, Status: doc.Status, Body: string(body)}
	if h.Status == "" {
		h.Status = "OK"
	}
	for _, f := range doc.FailedChecks {
		h.Failed = append(h.Failed, f.Component+": "+f.Reason)
	}
	return h, nil
}

// OpsClient is an HTTPS client for operations endpoints whose certificates
// caFile issued; timeout 0 leaves each request to its context.
func OpsClient(caFile string, timeout time.Duration) (*http.Client, error) {
	pool, err := CAPool(caFile)
	if err != nil {
		return nil, err
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}, nil
}

// KeyStore is the certificate and key of one PEM file holding both
// (ZooKeeper's and Kafka's PEM key store, ssl.keystore.type=PEM).
func KeyStore(path string) (tls.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(path, path)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls_keystore %s: no certificate and key pair: %v", path, err)
	}
	return pair, nil
}

// CAPool reads the PEM certificates of caFile.
func CAPool(caFile string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("TLS CA: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("TLS CA %s: no certificate", caFile)
	}
	return pool, nil
}
