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
  CertificateStatus,
  Page,
  PageQuery,
  RegistrationQuery,
  SignupRequest,
  SignupResponse,
  Statement,
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

  // --- deliveries -------------------------------------------------------------------------

  cardStatus(query: CardStatusQuery): Promise<CardStatusAnswer> {
    return this.client.json({ path: "/v1/card-status", query: { ...query } });
  }

  // --- certificates -----------------------------------------------------------------------

  listCertificates(query: CertificateQuery = {}): Promise<Page<Certificate>> {
    return this.client.json({ path: "/v1/certificates", query: { ...query } });
  }

  createCertificate(body: CertificateCreate, idempotencyKey: string): Promise<Certificate> {
    return this.client.json({ method: "POST", path: "/v1/certificates", body, idempotencyKey });
  }

  setCertificateStatus(id: string, status: CertificateStatus): Promise<Certificate> {
    return this.client.json({
      method: "PATCH",
      path: `/v1/certificates/${segment(id)}`,
      body: { status },
    });
  }

  // --- audit ------------------------------------------------------------------------------

  listAuditEvents(query: AuditQuery = {}): Promise<Page<AuditEvent>> {
    return this.client.json({ path: "/v1/audit-events", query: { ...query } });
  }
}
