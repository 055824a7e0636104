// One typed method per endpoint of docs/API.md that the web app uses.

import { ApiClient, type Download } from "./client";
import type {
  Account,
  AccountCreate,
  AccountHolder,
  AuditEvent,
  AuditQuery,
  CardRegistration,
  CardRegistrationCreate,
  CardStatusAnswer,
  CardStatusQuery,
  Certificate,
  CertificateCreate,
  CertificateQuery,
  CertificateUpdate,
  DeliveryImport,
  DeliveryImportCreate,
  ImportRowError,
  IssuedCard,
  IssuedCardCreate,
  IssuedCardQuery,
  IssuedCardStatus,
  Page,
  PageQuery,
  RegistrationQuery,
  RevealedCard,
  SignupRequest,
  SignupResponse,
  Statement,
  StaffGrant,
  StaffMember,
  StatementQuery,
  Transaction,
  TransactionCreate,
  Transfer,
  TransferCreate,
} from "./types";

const segment = (id: string): string => encodeURIComponent(id);

export class TesseraApi {
  constructor(readonly client: ApiClient) {}

  // --- auth (login, refresh and logout live in the session manager) -----------------------

  signup(body: SignupRequest): Promise<SignupResponse> {
    return this.client.json({ method: "POST", path: "/v1/auth/signup", body, auth: false });
  }

  // --- banking ----------------------------------------------------------------------------

  listAccountHolders(query: PageQuery = {}): Promise<Page<AccountHolder>> {
    return this.client.json({ path: "/v1/account-holders", query: { ...query } });
  }

  listAccounts(query: PageQuery = { limit: 200 }): Promise<Page<Account>> {
    return this.client.json({ path: "/v1/accounts", query: { ...query } });
  }

  getAccount(id: string): Promise<Account> {
    return this.client.json({ path: `/v1/accounts/${segment(id)}` });
  }

  openAccount(body: AccountCreate, idempotencyKey: string): Promise<Account> {
    return this.client.json({ method: "POST", path: "/v1/accounts", body, idempotencyKey });
  }

  postMovement(body: TransactionCreate, idempotencyKey: string): Promise<Transaction> {
    return this.client.json({ method: "POST", path: "/v1/transactions", body, idempotencyKey });
  }

  transfer(body: TransferCreate, idempotencyKey: string): Promise<Transfer> {
    return this.client.json({ method: "POST", path: "/v1/transfers", body, idempotencyKey });
  }

  statement(accountId: string, query: StatementQuery = {}): Promise<Statement> {
    return this.client.json({ path: `/v1/statements/${segment(accountId)}`, query: { ...query } });
  }

  statementCsv(accountId: string, query: StatementQuery = {}): Promise<Download> {
    return this.client.download({
      path: `/v1/statements/${segment(accountId)}`,
      query: { ...query },
      accept: "text/csv",
    });
  }

  // --- card registrations -----------------------------------------------------------------

  registerCard(body: CardRegistrationCreate, idempotencyKey: string): Promise<CardRegistration> {
    return this.client.json({
      method: "POST",
      path: "/v1/card-registrations",
      body,
      idempotencyKey,
    });
  }

  listRegistrations(query: RegistrationQuery = {}): Promise<Page<CardRegistration>> {
    return this.client.json({ path: "/v1/card-registrations", query: { ...query } });
  }

  approveRegistration(id: string): Promise<CardRegistration> {
    return this.client.json({
      method: "POST",
      path: `/v1/card-registrations/${segment(id)}/approve`,
      body: {},
    });
  }

  rejectRegistration(id: string, reason: string): Promise<CardRegistration> {
    return this.client.json({
      method: "POST",
      path: `/v1/card-registrations/${segment(id)}/reject`,
      body: { reason },
    });
  }

  /** The full number of a vault card (firm admins; audited). Never keep the answer. */
  revealCard(token: string): Promise<RevealedCard> {
    return this.client.json({ method: "POST", path: `/v1/vault/cards/${segment(token)}/reveal`, body: {} });
  }

  // --- issued cards -----------------------------------------------------------------------

  listCards(query: IssuedCardQuery = {}): Promise<Page<IssuedCard>> {
    return this.client.json({ path: "/v1/cards", query: { ...query } });
  }

  issueCard(body: IssuedCardCreate, idempotencyKey: string): Promise<IssuedCard> {
    return this.client.json({ method: "POST", path: "/v1/cards", body, idempotencyKey });
  }

  setCardStatus(id: string, status: IssuedCardStatus): Promise<IssuedCard> {
    return this.client.json({ method: "PATCH", path: `/v1/cards/${segment(id)}`, body: { status } });
  }

  // --- deliveries -------------------------------------------------------------------------

  cardStatus(query: CardStatusQuery): Promise<CardStatusAnswer> {
    return this.client.json({ path: "/v1/card-status", query: { ...query } });
  }

  /** Upload a courier CSV file: its report (201), or a queued import to poll (202). */
  importDeliveries(upload: DeliveryImportCreate): Promise<DeliveryImport> {
    const form = new FormData();
    form.append("file", upload.file, upload.file.name);
    if (upload.kind) {
      form.append("kind", upload.kind);
    }
    if (upload.partner) {
      form.append("partner", upload.partner);
    }
    return this.client.json({ method: "POST", path: "/v1/deliveries/imports", form });
  }

  listDeliveryImports(query: PageQuery = {}): Promise<Page<DeliveryImport>> {
    return this.client.json({ path: "/v1/deliveries/imports", query: { ...query } });
  }

  getDeliveryImport(id: string): Promise<DeliveryImport> {
    return this.client.json({ path: `/v1/deliveries/imports/${segment(id)}` });
  }

  listDeliveryImportErrors(id: string, query: PageQuery = {}): Promise<Page<ImportRowError>> {
    return this.client.json({ path: `/v1/deliveries/imports/${segment(id)}/errors`, query: { ...query } });
  }

  // --- certificates -----------------------------------------------------------------------

  listCertificates(query: CertificateQuery = {}): Promise<Page<Certificate>> {
    return this.client.json({ path: "/v1/certificates", query: { ...query } });
  }

  createCertificate(body: CertificateCreate, idempotencyKey: string): Promise<Certificate> {
    return this.client.json({ method: "POST", path: "/v1/certificates", body, idempotencyKey });
  }

  updateCertificate(id: string, body: CertificateUpdate): Promise<Certificate> {
    return this.client.json({ method: "PATCH", path: `/v1/certificates/${segment(id)}`, body });
  }

  // --- staff ------------------------------------------------------------------------------

  listStaff(firmId: string, query: PageQuery = {}): Promise<Page<StaffMember>> {
    return this.client.json({ path: `/v1/firms/${segment(firmId)}/staff`, query: { ...query } });
  }

  grantStaffRole(firmId: string, body: StaffGrant): Promise<StaffMember> {
    return this.client.json({ method: "POST", path: `/v1/firms/${segment(firmId)}/staff`, body });
  }

  revokeStaffRole(firmId: string, userId: string): Promise<undefined> {
    return this.client.json({ method: "DELETE", path: `/v1/firms/${segment(firmId)}/staff/${segment(userId)}` });
  }

  // --- audit ------------------------------------------------------------------------------

  listAuditEvents(query: AuditQuery = {}): Promise<Page<AuditEvent>> {
    return this.client.json({ path: "/v1/audit-events", query: { ...query } });
  }
}
