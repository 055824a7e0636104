// The shapes of the API (docs/API.md), hand-typed. Money is integer minor units plus a currency.

export type Role = "customer" | "firm_operator" | "firm_admin" | "platform_admin";

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

export interface TokenPair {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
}

export interface User {
  id: string;
  email: string;
  role: Role;
  firm: string;
  created_at: string;
}

export interface AccountHolder {
  id: string;
  user_id?: string;
  first_name: string;
  last_name: string;
  dob: string;
  phone: string | null;
  created_at: string;
}

export interface SignupRequest {
  email: string;
  password: string;
  first_name: string;
  last_name: string;
  dob: string;
  phone?: string;
  firm?: string;
}

export interface SignupResponse {
  user: User;
  account_holder: AccountHolder;
}

export interface Me {
  user: User;
  role: Role;
  firm: string;
  account_holder: AccountHolder | null;
}

// --- banking ------------------------------------------------------------------------------

export type AccountType = "checking" | "savings";
export type AccountStatus = "active" | "frozen" | "closed";

export interface Account {
  id: string;
  holder_id: string;
  type: AccountType;
  currency: string;
  balance: number;
  status: AccountStatus;
  created_at: string;
}

export interface AccountCreate {
  type: AccountType;
  currency: string;
  holder_id?: string;
}

export type MovementType = "deposit" | "withdrawal";

export interface TransactionCreate {
  account_id: string;
  type: MovementType;
  amount: number;
  currency: string;
  description?: string;
}

export interface Transaction {
  id: string;
  account_id: string;
  type: MovementType | "transfer_in" | "transfer_out";
  amount: number;
  currency: string;
  balance_after: number;
  description: string | null;
  created_at: string;
}

export interface TransferCreate {
  from_account_id: string;
  to_account_id: string;
  amount: number;
  currency: string;
  description?: string;
}

export interface Transfer {
  id: string;
  from_account_id: string;
  to_account_id: string;
  amount: number;
  currency: string;
  description: string | null;
  created_at: string;
  debit_transaction_id: string;
  credit_transaction_id: string;
}

export interface StatementLine {
  id: string;
  type: Transaction["type"];
  amount: number;
  currency: string;
  balance_after: number;
  description: string | null;
  created_at: string;
}

export interface Statement {
  account_id: string;
  currency: string;
  balance: number;
  generated_at: string;
  from: string | null;
  to: string | null;
  opening_balance: number;
  closing_balance: number;
  total_credits: number;
  total_debits: number;
  transactions: StatementLine[];
}

export interface StatementQuery {
  from?: string;
  to?: string;
}

// --- card registrations and the vault -----------------------------------------------------

export type RegistrationStatus = "pending" | "approved" | "rejected";

export interface MaskedCard {
  token: string;
  brand: string;
  bin: string;
  last4: string;
  expiry: string;
  cardholder_name: string;
}

export interface CardRegistrationCreate {
  card_number: string;
  expiry_date: string;
  cvv?: string;
  cardholder_name: string;
  holder_id?: string;
  external_ref?: string;
}

export interface RevealedCard {
  card_number: string;
}

export interface CardRegistration {
  id: string;
  status: RegistrationStatus;
  card: MaskedCard;
  created_at: string;
  reason?: string | null;
  decided_at?: string | null;
  holder_id?: string | null;
  external_ref?: string | null;
}

export interface RegistrationQuery extends PageQuery {
  status?: RegistrationStatus;
  from?: string;
  to?: string;
}

// --- delivery status ----------------------------------------------------------------------

export type DeliveryEvent = "picked_up" | "delivery_exception" | "delivered" | "returned";

// Fields typed `string` where API.md lists values: a newer service may add one, and the screens
// show an unknown value as it is rather than break.
export interface DeliveryHistoryEntry {
  event: string;
  at: string;
  comment: string | null;
  source: string | null;
}

export interface CardDeliveryStatus {
  card_id: string;
  phone: string | null;
  status: string;
  status_at: string;
  delivery_attempts: number;
  history: DeliveryHistoryEntry[];
}

export type CardStatusAnswer = CardDeliveryStatus | { items: CardDeliveryStatus[] };

export type CardStatusQuery = { card_id: string } | { phone: string };

export type DeliveryKind = "pickup" | "delivery_exception" | "delivered" | "returned";

export interface ImportRowError {
  /** The line number in the file (the header is line 1). */
  row: number;
  message: string;
}

export interface DeliveryImport {
  id: string;
  kind: string;
  /** `queued`, `processing`, `completed` or `failed`. */
  status: string;
  partner: string | null;
  source: string;
  file_name: string;
  file_size: number;
  phone_region: string;
  timezone: string;
  rows_total: number;
  rows_imported: number;
  rows_duplicate: number;
  rows_rejected: number;
  /** The first 100 rejected lines; every one is kept at /errors. */
  errors: ImportRowError[];
  failure: string | null;
  /** An earlier import of the same file, when this one repeated it. */
  duplicate_of: string | null;
  created_at: string;
  completed_at: string | null;
}

export interface DeliveryImportCreate {
  file: File;
  kind?: DeliveryKind;
  partner?: string;
}

// --- issued cards -------------------------------------------------------------------------

export type IssuedCardType = "virtual" | "physical";
export type IssuedCardStatus = "active" | "blocked" | "closed";

export interface IssuedCardDelivery {
  status: string;
  status_at: string | null;
  delivery_attempts: number;
}

export interface IssuedCard {
  id: string;
  account_id: string;
  holder_id: string;
  type: IssuedCardType;
  brand: string;
  last4: string;
  expiry: string;
  status: IssuedCardStatus;
  /** Physical cards: the id couriers use in their files. */
  reference: string | null;
  cardholder_name: string;
  token: string;
  created_at: string;
  updated_at: string;
  delivery: IssuedCardDelivery | null;
}

export interface IssuedCardCreate {
  account_id: string;
  type: IssuedCardType;
  cardholder_name?: string;
}

export interface IssuedCardQuery extends PageQuery {
  account_id?: string;
  status?: IssuedCardStatus;
}

// --- certificates -------------------------------------------------------------------------

export type CertificateStatus = "active" | "inactive" | "revoked";
export type KeyAlgorithm = "ec-p256" | "rsa-2048" | "rsa-3072";

export type RevocationReason =
  | "unspecified"
  | "key_compromise"
  | "ca_compromise"
  | "affiliation_changed"
  | "superseded"
  | "cessation_of_operation"
  | "certificate_hold"
  | "privilege_withdrawn"
  | "aa_compromise";

export interface Certificate {
  id: string;
  owner_id: string | null;
  serial_number: string;
  common_name: string;
  subject_alt_names: string[];
  not_before: string;
  not_after: string;
  status: CertificateStatus;
  fingerprint_sha256: string;
  key_algorithm?: string;
  revocation_reason?: RevocationReason | null;
  revoked_at?: string | null;
  certificate_pem?: string;
  chain_pem?: string;
  private_key_pem?: string;
}

export interface CertificateCreate {
  common_name: string;
  subject_alt_names?: string[];
  validity_days?: number;
  key_algorithm?: KeyAlgorithm;
  key_passphrase?: string;
}

export interface CertificateQuery extends PageQuery {
  owner_id?: string;
  status?: CertificateStatus;
}

export interface CertificateUpdate {
  status: CertificateStatus;
  revocation_reason?: RevocationReason;
}

// --- staff --------------------------------------------------------------------------------

export type StaffRole = "firm_admin" | "firm_operator";

export interface StaffMember {
  id: string;
  email: string;
  role: Role;
  firm: string;
  created_at: string;
}

export interface StaffGrant {
  email: string;
  role: StaffRole;
  /** Only to create a user who does not exist yet. */
  password?: string;
}

// --- audit --------------------------------------------------------------------------------

export interface AuditEvent {
  id: string;
  seq: number;
  firm_id: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  ip_address: string | null;
  data: Record<string, unknown>;
  created_at: string;
  hash: string;
}

export interface AuditQuery extends PageQuery {
  action?: string;
}
