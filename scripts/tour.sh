#!/usr/bin/env bash
# The README's tour of the API: a platform admin makes a firm, its staff and a machine client;
# a customer of that firm banks, registers a card and gets a certificate; the firm approves,
# tracks deliveries and hears about it all through a webhook. `make tour` runs it against
# `make run`; the test suite runs it against a fresh server and checks what each step prints.
# Needs curl, jq and openssl. Every name carries $RUN, so the tour can run again and again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."          # sample files are read from the repository

API=${API:-http://127.0.0.1:8000}
TESSERA=${TESSERA:-tessera}                     # the CLI, on the same DATABASE_URL as the API
RUN=${RUN:-$(date +%s)}
WORK=$(mktemp -d)                               # keys, CSRs and certificates of this run
TODAY=$(date -u +%F)
MONTH_START=$(date -u +%Y-%m-01)
EXPIRY="12/$(( $(date -u +%y) + 3 ))"           # a card expiry three years ahead
JSON='Content-Type: application/json'
step() { printf '\n== %s\n' "$*"; }
call() { curl -sS --fail-with-body -w '\n' "$@"; }   # prints the body; stops the tour on 4xx/5xx
login() { call "$API/v1/auth/login" -H "$JSON" -d "{\"email\": \"$1\", \"password\": \"$2\"}"; }
bearer() { printf 'Authorization: Bearer %s' "$(login "$1" "$2" | jq -r .access_token)"; }

step "a platform admin (made with the CLI) creates the firm"
ADMIN_EMAIL="admin+$RUN@tessera.example"; ADMIN_PASSWORD="platform admin password"
"$TESSERA" admin create --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD"
ADMIN=$(bearer "$ADMIN_EMAIL" "$ADMIN_PASSWORD")
SLUG="acme-$RUN"
FIRM=$(call "$API/v1/firms" -H "$ADMIN" -H "$JSON" \
  -d "{\"name\": \"Acme Cards\", \"slug\": \"$SLUG\", \"auto_approve_registrations\": false}" \
  | jq -r .id)
echo "FIRM=$FIRM SLUG=$SLUG"

step "the firm's admin and operator (the CLI creates them, with their passwords)"
STAFF_PASSWORD="acme staff password"
"$TESSERA" staff grant --email "admin+$RUN@acme.example" --firm "$SLUG" --role firm_admin \
  --password "$STAFF_PASSWORD"
"$TESSERA" staff grant --email "ops+$RUN@acme.example" --firm "$SLUG" --role firm_operator \
  --password "$STAFF_PASSWORD"
FIRM_ADMIN=$(bearer "admin+$RUN@acme.example" "$STAFF_PASSWORD")
STAFF=$(bearer "ops+$RUN@acme.example" "$STAFF_PASSWORD")

step "a customer signs up in that firm and logs in"
EMAIL="ada+$RUN@example.com"; PASSWORD="correct horse battery"
call "$API/v1/auth/signup" -H "$JSON" -d "{\"email\": \"$EMAIL\", \"password\": \"$PASSWORD\",
  \"first_name\": \"Ada\", \"last_name\": \"Lovelace\", \"dob\": \"1990-12-10\",
  \"phone\": \"0585949014\", \"firm\": \"$SLUG\"}"
TOKENS=$(login "$EMAIL" "$PASSWORD")
ACCESS_TOKEN=$(jq -r .access_token <<<"$TOKENS"); REFRESH_TOKEN=$(jq -r .refresh_token <<<"$TOKENS")
CUSTOMER="Authorization: Bearer $ACCESS_TOKEN"

step "two accounts, a deposit of 100.00 USD (amounts are minor units), a transfer of 25.00"
A=$(call "$API/v1/accounts" -H "$CUSTOMER" -H "$JSON" \
  -d '{"type": "checking", "currency": "USD"}' | jq -r .id)
B=$(call "$API/v1/accounts" -H "$CUSTOMER" -H "$JSON" \
  -d '{"type": "savings", "currency": "USD"}' | jq -r .id)
echo "A=$A B=$B"
call "$API/v1/transactions" -H "$CUSTOMER" -H "$JSON" -H "Idempotency-Key: deposit-$RUN" \
  -d "{\"account_id\": \"$A\", \"type\": \"deposit\", \"amount\": 10000, \"currency\": \"USD\"}"
call "$API/v1/transfers" -H "$CUSTOMER" -H "$JSON" -H "Idempotency-Key: rent-$RUN" \
  -d "{\"from_account_id\": \"$A\", \"to_account_id\": \"$B\", \"amount\": 2500,
       \"currency\": \"USD\", \"description\": \"Rent\"}"

step "the same deposit again, same Idempotency-Key: the first answer, replayed; no money moves"
curl -sS -i "$API/v1/transactions" -H "$CUSTOMER" -H "$JSON" -H "Idempotency-Key: deposit-$RUN" \
  -d "{\"account_id\": \"$A\", \"type\": \"deposit\", \"amount\": 10000, \"currency\": \"USD\"}" \
  | grep -i '^idempotent-replayed'
call "$API/v1/accounts/$A" -H "$CUSTOMER"

step "this month's statement, as JSON and as CSV (dates inclusive, UTC)"
call "$API/v1/statements/$A?from=$MONTH_START&to=$TODAY" -H "$CUSTOMER"
call "$API/v1/statements/$A" -H "$CUSTOMER" -H 'Accept: text/csv'

step "refresh tokens rotate on every use"
call "$API/v1/auth/refresh" -H "$JSON" -d "{\"refresh_token\": \"$REFRESH_TOKEN\"}" \
  | jq -c '{token_type, expires_in}'

step "a machine client of the firm gets a token with OAuth 2.0 client credentials"
CLIENT=$(call "$API/v1/firms/$FIRM/clients" -H "$FIRM_ADMIN" -H "$JSON" \
  -d '{"name": "core banking", "scopes": ["cards:read", "cards:write", "deliveries:write"]}')
CLIENT_ID=$(jq -r .client_id <<<"$CLIENT"); CLIENT_SECRET=$(jq -r .client_secret <<<"$CLIENT")
call -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials \
  -d scope='cards:read cards:write' "$API/v1/oauth/token" | jq -c '{token_type, scope}'

step "the customer registers a card: checked, encrypted, tokenized, masked; the CVV is dropped"
REGISTRATION=$(call "$API/v1/card-registrations" -H "$CUSTOMER" -H "$JSON" \
  -H "Idempotency-Key: card-$RUN" \
  -d "{\"card_number\": \"4111 1111 1111 1111\", \"expiry_date\": \"$EXPIRY\", \"cvv\": \"123\",
       \"cardholder_name\": \"Ada Lovelace\"}")
echo "$REGISTRATION"
REG=$(jq -r .id <<<"$REGISTRATION"); VAULT_TOKEN=$(jq -r .card.token <<<"$REGISTRATION")

step "the firm's operator approves it; today's approvals as CSV; the vault shows the card masked"
call -X POST "$API/v1/card-registrations/$REG/approve" -H "$STAFF" | jq -c '{id, status}'
call "$API/v1/card-registrations?status=approved&from=$TODAY" -H "$STAFF" -H 'Accept: text/csv'
call "$API/v1/vault/cards/$VAULT_TOKEN" -H "$STAFF"

step "only the firm's admin reveals the number, and the reveal is audited"
call -X POST "$API/v1/vault/cards/$VAULT_TOKEN/reveal" -H "$FIRM_ADMIN"
call "$API/v1/audit-events?action=vault.card_revealed" -H "$FIRM_ADMIN" \
  | jq -c '{total, action: .items[0].action}'

step "an issued physical card on account A; the customer blocks it"
CARD=$(call "$API/v1/cards" -H "$CUSTOMER" -H "$JSON" \
  -d "{\"account_id\": \"$A\", \"type\": \"physical\"}" | jq -r .id)
call -X PATCH "$API/v1/cards/$CARD" -H "$CUSTOMER" -H "$JSON" -d '{"status": "blocked"}' \
  | jq -c '{id, type, status, reference}'

step "courier files, over HTTP and from the command line; then a delivery's status"
call "$API/v1/deliveries/imports" -H "$STAFF" \
  -F "file=@src/tessera/demo/samples/Sample Card Status Info - Pickup.csv" \
  | jq -c '{kind, status, rows_imported, rows_rejected}'
COLUMNS=80 "$TESSERA" deliveries import src/tessera/demo/samples/ --firm "$SLUG"
call "$API/v1/card-status?phone=%2B971%2058%20594%209014" -H "$STAFF" \
  | jq -c '{card_id, phone, status, delivery_attempts}'
call "$API/v1/card-status?card_id=ZYW7631" -H "$STAFF" | jq -c '{card_id, status, delivery_attempts}'

step "the firm declares its domain; a certificate under it for a CSR; pinned; revoked, refused"
DOMAIN="acme-$RUN.example"                      # no other firm is certified for names under it
call "$API/v1/firms/$FIRM/domains" -H "$FIRM_ADMIN" -H "$JSON" -d "{\"domain\": \"$DOMAIN\"}" \
  | jq -c '{domain}'
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=svc.$DOMAIN" \
  -keyout "$WORK/key.pem" -out "$WORK/csr.pem" 2>/dev/null
CERTIFICATE=$(jq -Rs --arg name "svc.$DOMAIN" '{common_name: $name, csr: .}' "$WORK/csr.pem" \
  | call "$API/v1/certificates" -H "$CUSTOMER" -H "$JSON" -d @-)
CERT=$(jq -r .id <<<"$CERTIFICATE"); jq -r .certificate_pem <<<"$CERTIFICATE" > "$WORK/cert.pem"
call "$API/v1/pki/ca.pem" > "$WORK/ca.pem"                     # every firm's, and the root
call "$API/v1/pki/firms/$FIRM/ca.pem" > "$WORK/acme-ca.pem"    # this firm's (made at its 1st)
openssl verify -CAfile "$WORK/ca.pem" "$WORK/cert.pem"
openssl verify -partial_chain -CAfile "$WORK/acme-ca.pem" "$WORK/cert.pem"
call -X PATCH "$API/v1/certificates/$CERT" -H "$CUSTOMER" -H "$JSON" \
  -d '{"status": "revoked", "revocation_reason": "key_compromise"}' | jq -c '{id, status}'
call "$API/v1/pki/crl.pem" > "$WORK/crl.pem"
openssl verify -crl_check -CAfile "$WORK/ca.pem" -CRLfile "$WORK/crl.pem" "$WORK/cert.pem" \
  || echo "refused, as it should be"

step "a webhook endpoint for the firm's systems; its deliveries; an event sent again"
ENDPOINT=$(call "$API/v1/webhook-endpoints" -H "$FIRM_ADMIN" -H "$JSON" \
  -d '{"url": "https://hooks.acme.example/tessera", "events": ["*"]}' | jq -r .id)
EVENT=$(call "$API/v1/events?type=transfer.completed" -H "$FIRM_ADMIN" | jq -r '.items[0].id')
echo "ENDPOINT=$ENDPOINT EVENT=$EVENT"
call -X POST "$API/v1/events/$EVENT/redeliver" -H "$FIRM_ADMIN" -H "$JSON" \
  -d "{\"endpoint_id\": \"$ENDPOINT\"}" | jq -c '{event_id, queued: (.deliveries | length)}'
call "$API/v1/webhook-endpoints/$ENDPOINT/deliveries" -H "$FIRM_ADMIN" \
  | jq -c '{total, status: .items[0].status, trigger: .items[0].trigger}'

step "operations"
call "$API/v1/health" | jq -c '{status, database}'
curl -sS "$API/metrics" | grep '^tessera_money_movements_total'
rm -r "$WORK"
