// One typed method per endpoint the web app uses. The paths, parameters and answers are the
// generated types of the service's OpenAPI document (schema.ts), checked by the compiler through
// openapi-fetch; the transport underneath is ApiClient's (tokens, renewal, retries, ApiError).

import createClient from "openapi-fetch";

import { ApiClient, type Download } from "./client";
import type { paths } from "./schema";
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
  ApiClientCreate,
  ApiClientCreated,
  ApiClientRead,
  DeliveryStatus,
  Redelivery,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointCreate,
  WebhookEndpointWithSecret,
} from "./types";

/** The data of a call whose errors ApiClient already threw (openapi-fetch's success branch). */
async function data<T>(call: Promise<{ data?: T; response: Response }>): Promise<T> {
  const answer = await call;
  return answer.data as T;
}

/** The JSON answer of a route that can also answer CSV (whose schema is then `unknown`). */
async function json<T>(call: Promise<{ data?: unknown; response: Response }>): Promise<T> {
  const answer = await call;
  return answer.data as T;
}

const idempotent = (key: string) => ({ "Idempotency-Key": key });

export class TesseraApi {
  readonly http: ReturnType<typeof createClient<paths>>;
  private readonly anonymous: (request: Request) => Promise<Response>;

  constructor(readonly client: ApiClient) {
    this.http = createClient<paths>({
      baseUrl: client.base,
      fetch: client.fetcher(),
      // No cookie on ordinary requests; the access token travels in the Authorization header.
      credentials: "omit",
      cache: "no-store",
      headers: { Accept: "application/json" },
    });
    this.anonymous = client.fetcher(false);
  }

  // --- auth (login, refresh and logout live in the session manager) -----------------------

  signup(body: SignupRequest): Promise<SignupResponse> {
    return data(this.http.POST("/v1/auth/signup", { body, fetch: this.anonymous }));
  }

  // --- banking ----------------------------------------------------------------------------

  listAccountHolders(query: PageQuery = {}): Promise<Page<AccountHolder>> {
    return data(this.http.GET("/v1/account-holders", { params: { query } }));
  }

  listAccounts(query: PageQuery = { limit: 200 }): Promise<Page<Account>> {
    return data(this.http.GET("/v1/accounts", { params: { query } }));
  }

  /** Give an account a name, or remove it (null). */
  renameAccount(id: string, name: string | null): Promise<Account> {
    return data(this.http.PATCH("/v1/accounts/{account_id}", { params: { path: { account_id: id } }, body: { name } }));
  }

  listTransactions(accountId: string, query: PageQuery = {}): Promise<Page<Transaction>> {
    return data(this.http.GET("/v1/transactions", { params: { query: { account_id: accountId, ...query } } }));
  }

  getAccount(id: string): Promise<Account> {
    return data(this.http.GET("/v1/accounts/{account_id}", { params: { path: { account_id: id } } }));
  }

  openAccount(body: AccountCreate, idempotencyKey: string): Promise<Account> {
    return data(this.http.POST("/v1/accounts", { body, params: { header: idempotent(idempotencyKey) } }));
  }

  postMovement(body: TransactionCreate, idempotencyKey: string): Promise<Transaction> {
    return data(this.http.POST("/v1/transactions", { body, params: { header: idempotent(idempotencyKey) } }));
  }

  transfer(body: TransferCreate, idempotencyKey: string): Promise<Transfer> {
    return data(this.http.POST("/v1/transfers", { body, params: { header: idempotent(idempotencyKey) } }));
  }

  statement(accountId: string, query: StatementQuery = {}): Promise<Statement> {
    return json<Statement>(
      this.http.GET("/v1/statements/{account_id}", { params: { path: { account_id: accountId }, query } }),
    );
  }

  async statementCsv(accountId: string, query: StatementQuery = {}): Promise<Download> {
    const { response } = await this.http.GET("/v1/statements/{account_id}", {
      params: { path: { account_id: accountId }, query },
      headers: { Accept: "text/csv" },
      parseAs: "stream",
    });
    return this.client.downloadOf(response);
  }

  // --- card registrations -----------------------------------------------------------------

  registerCard(body: CardRegistrationCreate, idempotencyKey: string): Promise<CardRegistration> {
    return data(this.http.POST("/v1/card-registrations", { body, params: { header: idempotent(idempotencyKey) } }));
  }

  listRegistrations(query: RegistrationQuery = {}): Promise<Page<CardRegistration>> {
    return json<Page<CardRegistration>>(this.http.GET("/v1/card-registrations", { params: { query } }));
  }

  approveRegistration(id: string): Promise<CardRegistration> {
    return data(
      this.http.POST("/v1/card-registrations/{registration_id}/approve", {
        params: { path: { registration_id: id } },
        body: {},
      }),
    );
  }

  rejectRegistration(id: string, reason: string): Promise<CardRegistration> {
    return data(
      this.http.POST("/v1/card-registrations/{registration_id}/reject", {
        params: { path: { registration_id: id } },
        body: { reason },
      }),
    );
  }

  /** The full number of a vault card (firm admins; audited). Never keep the answer. */
  revealCard(token: string): Promise<RevealedCard> {
    return data(this.http.POST("/v1/vault/cards/{token}/reveal", { params: { path: { token } } }));
  }

  // --- issued cards -----------------------------------------------------------------------

  listCards(query: IssuedCardQuery = {}): Promise<Page<IssuedCard>> {
    return data(this.http.GET("/v1/cards", { params: { query } }));
  }

  issueCard(body: IssuedCardCreate, idempotencyKey: string): Promise<IssuedCard> {
    return data(this.http.POST("/v1/cards", { body, params: { header: idempotent(idempotencyKey) } }));
  }

  setCardStatus(id: string, status: IssuedCardStatus): Promise<IssuedCard> {
    return data(this.http.PATCH("/v1/cards/{card_id}", { params: { path: { card_id: id } }, body: { status } }));
  }

  // --- deliveries -------------------------------------------------------------------------

  cardStatus(query: CardStatusQuery): Promise<CardStatusAnswer> {
    return data(this.http.GET("/v1/card-status", { params: { query } }));
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
    return data(this.http.GET("/v1/deliveries/imports", { params: { query } }));
  }

  getDeliveryImport(id: string): Promise<DeliveryImport> {
    return data(this.http.GET("/v1/deliveries/imports/{import_id}", { params: { path: { import_id: id } } }));
  }

  listDeliveryImportErrors(id: string, query: PageQuery = {}): Promise<Page<ImportRowError>> {
    return data(
      this.http.GET("/v1/deliveries/imports/{import_id}/errors", { params: { path: { import_id: id }, query } }),
    );
  }

  // --- certificates -----------------------------------------------------------------------

  listCertificates(query: CertificateQuery = {}): Promise<Page<Certificate>> {
    return data(this.http.GET("/v1/certificates", { params: { query } }));
  }

  createCertificate(body: CertificateCreate, idempotencyKey: string): Promise<Certificate> {
    return data(this.http.POST("/v1/certificates", { body, params: { header: idempotent(idempotencyKey) } }));
  }

  updateCertificate(id: string, body: CertificateUpdate): Promise<Certificate> {
    return data(
      this.http.PATCH("/v1/certificates/{certificate_id}", { params: { path: { certificate_id: id } }, body }),
    );
  }

  // --- staff ------------------------------------------------------------------------------

  listStaff(firmId: string, query: PageQuery = {}): Promise<Page<StaffMember>> {
    return data(this.http.GET("/v1/firms/{firm_id}/staff", { params: { path: { firm_id: firmId }, query } }));
  }

  grantStaffRole(firmId: string, body: StaffGrant): Promise<StaffMember> {
    return data(this.http.POST("/v1/firms/{firm_id}/staff", { params: { path: { firm_id: firmId } }, body }));
  }

  async revokeStaffRole(firmId: string, userId: string): Promise<void> {
    await this.http.DELETE("/v1/firms/{firm_id}/staff/{user_id}", {
      params: { path: { firm_id: firmId, user_id: userId } },
    });
  }

  // --- webhooks -----------------------------------------------------------------------------

  listWebhookEndpoints(query: PageQuery = {}): Promise<Page<WebhookEndpoint>> {
    return data(this.http.GET("/v1/webhook-endpoints", { params: { query } }));
  }

  getWebhookEndpoint(id: string): Promise<WebhookEndpoint> {
    return data(this.http.GET("/v1/webhook-endpoints/{endpoint_id}", { params: { path: { endpoint_id: id } } }));
  }

  createWebhookEndpoint(body: WebhookEndpointCreate): Promise<WebhookEndpointWithSecret> {
    return data(this.http.POST("/v1/webhook-endpoints", { body }));
  }

  deleteWebhookEndpoint(id: string): Promise<void> {
    return data(this.http.DELETE("/v1/webhook-endpoints/{endpoint_id}", { params: { path: { endpoint_id: id } } }));
  }

  /** A new signing secret; the old one keeps signing for `overlapSeconds` (0: retired now). */
  rotateWebhookSecret(id: string, overlapSeconds: number): Promise<WebhookEndpointWithSecret> {
    return data(
      this.http.POST("/v1/webhook-endpoints/{endpoint_id}/rotate-secret", {
        params: { path: { endpoint_id: id } },
        body: { expire_previous_after_seconds: overlapSeconds },
      }),
    );
  }

  listWebhookDeliveries(id: string, query: PageQuery & { status?: DeliveryStatus } = {}): Promise<Page<WebhookDelivery>> {
    return data(
      this.http.GET("/v1/webhook-endpoints/{endpoint_id}/deliveries", { params: { path: { endpoint_id: id }, query } }),
    );
  }

  redeliver(eventId: string, endpointId: string): Promise<Redelivery> {
    return data(
      this.http.POST("/v1/events/{event_id}/redeliver", {
        params: { path: { event_id: eventId } },
        body: { endpoint_id: endpointId },
      }),
    );
  }

  // --- machine clients ----------------------------------------------------------------------

  listApiClients(firmId: string, query: PageQuery = {}): Promise<Page<ApiClientRead>> {
    return data(this.http.GET("/v1/firms/{firm_id}/clients", { params: { path: { firm_id: firmId }, query } }));
  }

  createApiClient(firmId: string, body: ApiClientCreate): Promise<ApiClientCreated> {
    return data(this.http.POST("/v1/firms/{firm_id}/clients", { params: { path: { firm_id: firmId } }, body }));
  }

  revokeApiClient(firmId: string, clientId: string): Promise<void> {
    return data(
      this.http.DELETE("/v1/firms/{firm_id}/clients/{client_id}", {
        params: { path: { firm_id: firmId, client_id: clientId } },
      }),
    );
  }

  // --- audit ------------------------------------------------------------------------------

  listAuditEvents(query: AuditQuery = {}): Promise<Page<AuditEvent>> {
    return data(this.http.GET("/v1/audit-events", { params: { query } }));
  }
}
