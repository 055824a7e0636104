// The staff overview: what needs attention today. Pending registrations, today's courier imports
// with their rejected rows, webhook endpoints whose deliveries are failing (firm admins), and
// certificates that expire soon.

import type { Certificate, DeliveryImport, WebhookDelivery, WebhookEndpoint } from "../../api/types";
import { Link } from "../../app/router";
import { useApi } from "../../app/services";
import { isAdmin, type SessionView } from "../../session/sessions";
import { useLoad } from "../../ui/hooks";
import { LoadState } from "../../ui/LoadState";
import { Timestamp } from "../../ui/Money";
import { Page } from "../../ui/Page";
import { count } from "../../ui/plural";
import { ActionsHeader, TableRegion } from "../../ui/TableRegion";

const EXPIRY_WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;

function startOfToday(): Date {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate());
}

interface FailingEndpoint {
  endpoint: WebhookEndpoint;
  latest: WebhookDelivery;
}

/** An endpoint is failing when its latest delivery died or is being retried after a failure. */
export function isFailing(delivery: WebhookDelivery): boolean {
  return delivery.status === "dead" || (delivery.status !== "succeeded" && delivery.attempt_count > 0);
}

export function StaffOverviewPage({ session }: { session: SessionView }) {
  const api = useApi();
  const admin = isAdmin(session.role);
  const pending = useLoad(`overview:pending:${session.userId}`, () => api.listRegistrations({ status: "pending", limit: 5 }));
  const imports = useLoad(`overview:imports:${session.userId}`, async () => {
    const since = startOfToday().getTime();
    const page = await api.listDeliveryImports({ limit: 100 });
    return page.items.filter((entry: DeliveryImport) => new Date(entry.created_at).getTime() >= since);
  });
  const endpoints = useLoad(admin ? `overview:webhooks:${session.userId}` : null, async () => {
    const page = await api.listWebhookEndpoints({ limit: 50 });
    const latest = await Promise.all(
      page.items.map(async (endpoint) => ({ endpoint, latest: (await api.listWebhookDeliveries(endpoint.id, { limit: 1 })).items[0] })),
    );
    return latest.filter((e): e is FailingEndpoint => e.latest !== undefined && isFailing(e.latest));
  });
  const certificates = useLoad(`overview:certificates:${session.userId}`, async () => {
    const page = await api.listCertificates({ status: "active", limit: 200 });
    const horizon = Date.now() + EXPIRY_WINDOW_DAYS * DAY_MS;
    return page.items
      .filter((c: Certificate) => new Date(c.not_after).getTime() <= horizon)
      .sort((a, b) => (a.not_after < b.not_after ? -1 : 1));
  });

  const rejected = (imports.data ?? []).reduce((sum, entry) => sum + entry.rows_rejected, 0);

  return (
    <Page title="Today" lead="What needs your attention in the firm.">
      <ul className="tiles" aria-label="At a glance" data-testid="staff-tiles">
        <li className={`tile ${pending.data?.total ? "tile-warning" : "tile-ok"}`}>
          <span className="tile-label">Waiting for a decision</span>
          <span className="tile-value" data-testid="tile-pending">
            {pending.data ? count(pending.data.total, "pending registration") : "…"}
          </span>
        </li>
        <li className={`tile ${rejected ? "tile-warning" : "tile-ok"}`}>
          <span className="tile-label">Courier files today</span>
          <span className="tile-value" data-testid="tile-imports">
            {imports.data ? `${count(imports.data.length, "import")}, ${count(rejected, { one: "rejected row", other: "rejected rows" })}` : "…"}
          </span>
        </li>
        {admin ? (
          <li className={`tile ${endpoints.data?.length ? "tile-danger" : "tile-ok"}`}>
            <span className="tile-label">Webhooks</span>
            <span className="tile-value" data-testid="tile-webhooks">
              {endpoints.data ? count(endpoints.data.length, { one: "failing endpoint", other: "failing endpoints" }) : "…"}
            </span>
          </li>
        ) : null}
        <li className={`tile ${certificates.data?.length ? "tile-warning" : "tile-ok"}`}>
          <span className="tile-label">Certificates</span>
          <span className="tile-value" data-testid="tile-certificates">
            {certificates.data ? `${count(certificates.data.length, "certificate")} expiring within ${EXPIRY_WINDOW_DAYS} days` : "…"}
          </span>
        </li>
      </ul>

      <section aria-labelledby="pending-title">
        <h2 id="pending-title">Pending registrations</h2>
        <LoadState loading={pending.loading && !pending.data} error={pending.error} what="Pending registrations" retry={pending.reload} />
        {pending.data && pending.data.items.length === 0 ? <p>Nothing is waiting for a decision.</p> : null}
        {pending.data && pending.data.items.length > 0 ? (
          <ul className="activity">
            {pending.data.items.map((registration) => (
              <li key={registration.id}>
                <span className="activity-what">
                  {registration.card.cardholder_name} · <span className="muted">ending {registration.card.last4}</span>
                </span>
                <Timestamp value={registration.created_at} />
              </li>
            ))}
          </ul>
        ) : null}
        <p>
          <Link to="/staff/registrations">Open the registration queue</Link>
        </p>
      </section>

      <section aria-labelledby="imports-title">
        <h2 id="imports-title">Today&apos;s courier imports</h2>
        <LoadState loading={imports.loading && !imports.data} error={imports.error} what="Today's imports" retry={imports.reload} />
        {imports.data && imports.data.length === 0 ? <p>No courier file was imported today.</p> : null}
        {imports.data && imports.data.length > 0 ? (
          <TableRegion labelledBy="imports-caption">
            <table className="table" data-testid="today-imports">
              <caption id="imports-caption">{count(imports.data.length, "import")} today</caption>
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Received</th>
                  <th scope="col" className="numeric">
                    Imported
                  </th>
                  <th scope="col" className="numeric">
                    Rejected
                  </th>
                  <ActionsHeader />
                </tr>
              </thead>
              <tbody>
                {imports.data.map((entry) => (
                  <tr key={entry.id}>
                    <th scope="row">{entry.file_name}</th>
                    <td>
                      <Timestamp value={entry.created_at} />
                    </td>
                    <td className="numeric">{entry.rows_imported}</td>
                    <td className="numeric">{entry.rows_rejected}</td>
                    <td className="row-actions">
                      <Link to={`/staff/deliveries?import=${encodeURIComponent(entry.id)}`}>
                        {entry.rows_rejected ? "See rejected rows" : "View report"}
                        <span className="visually-hidden"> of {entry.file_name}</span>
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        ) : null}
      </section>

      {admin ? (
        <section aria-labelledby="failing-title">
          <h2 id="failing-title">Failing webhook endpoints</h2>
          <LoadState loading={endpoints.loading && !endpoints.data} error={endpoints.error} what="Webhook endpoints" retry={endpoints.reload} />
          {endpoints.data && endpoints.data.length === 0 ? <p>Every endpoint answered its latest delivery.</p> : null}
          {endpoints.data && endpoints.data.length > 0 ? (
            <ul className="activity" data-testid="failing-endpoints">
              {endpoints.data.map(({ endpoint, latest }) => (
                <li key={endpoint.id}>
                  <span className="activity-what">
                    <code className="wrap">{endpoint.url}</code>
                    <br />
                    <span className="muted">
                      Last delivery {latest.status}, {count(latest.attempt_count, "attempt")}
                      {latest.last_status_code ? `, HTTP ${latest.last_status_code}` : ""}
                      {latest.last_error ? `, ${latest.last_error}` : ""}
                    </span>
                  </span>
                  <Link to={`/staff/webhooks/${encodeURIComponent(endpoint.id)}`}>
                    Delivery log<span className="visually-hidden"> of {endpoint.url}</span>
                  </Link>
                </li>
              ))}
            </ul>
          ) : null}
        </section>
      ) : null}

      <section aria-labelledby="expiring-title">
        <h2 id="expiring-title">Certificates that expire soon</h2>
        <LoadState loading={certificates.loading && !certificates.data} error={certificates.error} what="Certificates" retry={certificates.reload} />
        {certificates.data && certificates.data.length === 0 ? <p>No active certificate expires in the next {EXPIRY_WINDOW_DAYS} days.</p> : null}
        {certificates.data && certificates.data.length > 0 ? (
          <ul className="activity" data-testid="expiring-certificates">
            {certificates.data.map((certificate) => (
              <li key={certificate.id}>
                <span className="activity-what">{certificate.common_name}</span>
                <span>
                  expires <Timestamp value={certificate.not_after} />
                </span>
              </li>
            ))}
          </ul>
        ) : null}
        <p>
          <Link to="/certificates">All certificates</Link>
        </p>
      </section>
    </Page>
  );
}
