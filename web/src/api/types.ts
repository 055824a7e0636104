// The shapes of the API, named as the screens use them. Every one is the generated type of the
// service's OpenAPI document (schema.ts, made by `make api-types`; `make web-check` fails when it
// is stale), so a change on the server shows up here as a type error instead of a silent drift.
// Only the query objects of list calls are written by hand. Money is integer minor units.

import type * as Schema from "./schema";

export type Role = Schema.Role;

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface PageQuery {
  limit?: number;
  offset?: number;
}

// --- auth ---------------------------------------------------------------------------------

export type TokenPair = Schema.TokenPair;
export type User = Schema.UserRead;
export type AccountHolder = Schema.HolderRead;
export type SignupRequest = Schema.SignupRequest;
export type SignupResponse = Schema.SignupResponse;
export type Me = Schema.MeResponse;

// --- banking ------------------------------------------------------------------------------

export type AccountType = Schema.AccountType;
export type AccountStatus = Schema.AccountStatus;
export type Account = Schema.AccountRead;
export type AccountCreate = Schema.AccountCreate;
export type MovementType = Schema.MovementType;
export type TransactionType = Schema.TransactionType;
export type TransactionCreate = Schema.TransactionCreate;
export type Transaction = Schema.TransactionRead;
export type TransferCreate = Schema.TransferCreate;
export type Transfer = Schema.TransferRead;
export type StatementLine = Schema.StatementLine;
export type Statement = Schema.StatementRead;

export interface StatementQuery {
  from?: string | undefined;
  to?: string | undefined;
}

// --- card registrations and the vault -----------------------------------------------------

export type RegistrationStatus = Schema.RegistrationStatus;
export type MaskedCard = Schema.VaultCardRead;
export type CardRegistrationCreate = Schema.RegistrationCreate;
export type RevealedCard = Schema.RevealedCard;
export type CardRegistration = Schema.RegistrationRead;

export interface RegistrationQuery extends PageQuery {
  status?: RegistrationStatus | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

// --- delivery status ----------------------------------------------------------------------

export type DeliveryEvent = Schema.DeliveryEvent;
export type DeliveryHistoryEntry = Schema.HistoryEntryRead;
export type CardDeliveryStatus = Schema.CardStatusRead;
export type CardStatusAnswer = Schema.CardStatusRead | Schema.CardStatusList;
export type CardStatusQuery = { card_id: string } | { phone: string };
export type DeliveryKind = Schema.DeliveryKind;
export type ImportRowError = Schema.ImportErrorRead;
export type DeliveryImport = Schema.ImportRead;
export type ImportStatus = Schema.ImportStatus;

export interface DeliveryImportCreate {
  file: File;
  kind?: DeliveryKind;
  partner?: string;
}

// --- issued cards -------------------------------------------------------------------------

export type IssuedCardType = Schema.CardType;
export type IssuedCardStatus = Schema.CardStatus;
export type IssuedCardDelivery = Schema.CardDeliveryRead;
export type IssuedCard = Schema.CardRead;
export type IssuedCardCreate = Schema.CardCreate;

export interface IssuedCardQuery extends PageQuery {
  account_id?: string | undefined;
  status?: IssuedCardStatus | undefined;
}

// --- certificates -------------------------------------------------------------------------

export type CertificateStatus = Schema.CertificateStatus;
export type KeyAlgorithm = Schema.KeyAlgorithm;
export type RevocationReason = Schema.RevocationReason;
/** A certificate; `private_key_pem` only in the answer that created it. */
export type Certificate = Schema.CertificateRead & { private_key_pem?: string | null };
export type CertificateCreate = Schema.CertificateCreate;
export type CertificateUpdate = Schema.CertificateUpdate;

export interface CertificateQuery extends PageQuery {
  owner_id?: string | undefined;
  status?: CertificateStatus | undefined;
}

// --- staff --------------------------------------------------------------------------------

export type StaffRole = Schema.StaffRole;
export type StaffMember = Schema.StaffRead;
export type StaffGrant = Schema.StaffGrant;

// --- webhooks and machine clients -----------------------------------------------------------

export type EventType = Schema.EventType;
export type WebhookEndpoint = Schema.WebhookEndpointRead;
export type WebhookEndpointWithSecret = Schema.WebhookEndpointWithSecret;
export type WebhookEndpointCreate = Schema.WebhookEndpointCreate;
export type WebhookDelivery = Schema.WebhookDeliveryRead;
export type WebhookAttempt = Schema.WebhookAttemptRead;
export type DeliveryStatus = Schema.DeliveryStatus;
export type Redelivery = Schema.RedeliveryRead;
export type Scope = Schema.Scope;
export type ApiClientRead = Schema.ClientRead;
export type ApiClientCreated = Schema.ClientCreated;
export type ApiClientCreate = Schema.ClientCreate;

// --- audit --------------------------------------------------------------------------------

export type AuditEvent = Schema.AuditEventRead;

export interface AuditQuery extends PageQuery {
  action?: string | undefined;
}
